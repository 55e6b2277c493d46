//! Stored risk state: any bytes read as a user model, a profile or an account's whole state, or
//! as an error, without panicking; whatever reads writes back byte for byte (a model of the
//! previous version as the current one, four bytes longer, which reads back the same), and a
//! model that reads can be scored.
#![no_main]

use acctsec_core::store::ProfileData;
use acctsec_risk::{AccountRisk, ModelKey, Population, Profile, UserModel};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(model) = UserModel::from_bytes(data) {
        let written = model.to_bytes();
        if written.len() == data.len() {
            assert_eq!(written, data);
        }
        assert_eq!(UserModel::from_bytes(&written).as_ref(), Ok(&model));
        let population = Population::with_widths(ModelKey::new([0; 16]), 8, 8).unwrap();
        let hashed = population.hash(["a", "b", "c"], ["d", "e", "f", "g"]);
        if let Some(score) = population.score(&model, &hashed) {
            assert!(score.ln().is_finite());
        }
    }
    if let Ok(stored) = ProfileData::new(data.to_vec()) {
        if let Ok(profile) = Profile::from_data(&stored) {
            assert_eq!(profile.to_data().unwrap().as_bytes(), data);
        }
        if let Ok(state) = AccountRisk::from_data(&stored) {
            let written = state.to_data().unwrap();
            if written.as_bytes().len() == data.len() {
                assert_eq!(written.as_bytes(), data);
            }
            assert_eq!(AccountRisk::from_data(&written).as_ref(), Ok(&state));
        }
    }
});
