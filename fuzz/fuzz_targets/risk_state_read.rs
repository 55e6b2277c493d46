//! Stored risk state: any bytes read as a user model, a profile, an account's whole state or a
//! population, or as an error, without panicking; whatever reads writes back byte for byte, and a model or a
//! profile that reads can be scored and can learn, at any time, and still write back what it
//! reads.
#![no_main]

use std::sync::OnceLock;

use acctsec_core::Timestamp;
use acctsec_core::store::ProfileData;
use acctsec_risk::{
    AccountRisk, CountryCode, ModelKey, Population, Profile, TravelLimits, UserModel,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The time of the attempt, from the input's first bytes: any instant at all.
    let mut first = [0_u8; 8];
    for (f, d) in first.iter_mut().zip(data) {
        *f = *d;
    }
    let at = Timestamp::from_unix_millis(i64::from_le_bytes(first));
    if let Ok(mut model) = UserModel::from_bytes(data) {
        assert_eq!(model.to_bytes(), data);
        let mut population = Population::with_widths(ModelKey::new([0; 16]), 8, 8).unwrap();
        let hashed = population
            .hash(["a", "b", "c"], ["d", "e", "f", "g"])
            .at(at);
        if let Some(score) = population.score(&model, &hashed) {
            assert!(score.ln().is_finite());
        }
        population.learn(&mut model, &hashed, at);
        assert_eq!(
            UserModel::from_bytes(&model.to_bytes()).as_ref(),
            Ok(&model)
        );
    }
    // With the key's check value written in (bytes 3..11), so the counts and cells are read.
    // The value depends on the key alone: taken once, from the narrowest population.
    static CHECK: OnceLock<Vec<u8>> = OnceLock::new();
    let check = CHECK.get_or_init(|| {
        let empty = Population::with_widths(ModelKey::new([0; 16]), 8, 8).unwrap();
        empty.to_bytes()[3..11].to_vec()
    });
    let mut keyed = data.to_vec();
    if let Some(to) = keyed.get_mut(3..11) {
        to.copy_from_slice(check);
    }
    let inputs: &[&[u8]] = if keyed == data {
        &[data]
    } else {
        &[data, &keyed]
    };
    for &bytes in inputs {
        if let Ok(mut population) = Population::from_bytes(ModelKey::new([0; 16]), bytes) {
            assert_eq!(population.to_bytes(), bytes);
            let mut model = UserModel::default();
            let hashed = population
                .hash(["a", "b", "c"], ["d", "e", "f", "g"])
                .at(at);
            population.learn(&mut model, &hashed, at);
            if let Some(score) = population.score(&model, &hashed) {
                assert!(score.ln().is_finite());
            }
        }
    }
    if let Ok(stored) = ProfileData::new(data.to_vec()) {
        if let Ok(mut profile) = Profile::from_data(&stored) {
            assert_eq!(profile.to_data().unwrap().as_bytes(), data);
            let _ = profile.signals(None, None, None, at, &TravelLimits::DEFAULT);
            profile.learn(CountryCode::new("NO").ok(), None, None, at);
            let again = profile.to_data().unwrap();
            assert_eq!(Profile::from_data(&again).as_ref(), Ok(&profile));
        }
        if let Ok(state) = AccountRisk::from_data(&stored) {
            assert_eq!(state.to_data().unwrap().as_bytes(), data);
        }
    }
});
