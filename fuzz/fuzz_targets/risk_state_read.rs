//! Stored risk state: any bytes read as a user model, a profile or an account's whole state, or
//! as an error, without panicking; whatever reads writes back byte for byte, and a model that
//! reads can be scored.
#![no_main]

use acctsec_core::store::ProfileData;
use acctsec_risk::{AccountRisk, ModelKey, Population, Profile, UserModel};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(model) = UserModel::from_bytes(data) {
        assert_eq!(model.to_bytes(), data);
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
            assert_eq!(state.to_data().unwrap().as_bytes(), data);
        }
    }
});
