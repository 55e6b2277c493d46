//! Driver errors as [`StoreError`] kinds, the driver's error kept as `source()`.

use acctsec_core::{StoreError, StoreErrorKind};

/// Maps a driver error: a unique violation is a conflict (without its source — a database's
/// message can quote the key, which may be a digest); a lost or refused connection, a pool that
/// timed out, a busy SQLite file, a PostgreSQL deadlock or serialization failure is
/// `Unavailable` (transient); a value that does not decode is `Corrupt`; anything else is
/// `Other`. `what` names the operation.
pub fn map_error(what: &'static str, error: sqlx::Error) -> StoreError {
    use sqlx::Error as E;
    match error {
        E::Database(db) if db.is_unique_violation() => StoreError::conflict(what),
        E::Database(db) if is_transient_code(db.code().as_deref()) => {
            StoreError::unavailable(what, E::Database(db))
        }
        e @ (E::Io(_)
        | E::Tls(_)
        | E::PoolTimedOut
        | E::PoolClosed
        | E::WorkerCrashed
        | E::Protocol(_)) => StoreError::unavailable(what, e),
        e @ (E::ColumnDecode { .. }
        | E::Decode(_)
        | E::ColumnNotFound(_)
        | E::TypeNotFound { .. }) => StoreError::corrupt(what, e),
        e => StoreError::new(StoreErrorKind::Other, what).with_source(e),
    }
}

/// Database error codes worth retrying: SQLite's busy and locked; PostgreSQL's serialization
/// failure, deadlock, connection exceptions (class 08) and shutdowns (57P0x).
fn is_transient_code(code: Option<&str>) -> bool {
    match code {
        Some("5" | "6" | "40001" | "40P01") => true,
        Some(c) => c.starts_with("08") || c.starts_with("57P0"),
        None => false,
    }
}

/// Shorthand for the adapters: `result.map_err(db("operation"))`.
pub(crate) fn db(what: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |e| map_error(what, e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_follow_the_driver_error() {
        let refused = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let e = map_error("take", sqlx::Error::Io(refused));
        assert!(e.is_transient());
        assert!(std::error::Error::source(&e).is_some());
        assert!(map_error("claim", sqlx::Error::PoolTimedOut).is_transient());
        assert_eq!(
            map_error("get", sqlx::Error::ColumnNotFound("x".into())).kind(),
            StoreErrorKind::Corrupt
        );
        assert!(is_transient_code(Some("40P01")) && is_transient_code(Some("08006")));
        assert!(!is_transient_code(Some("23505")) && !is_transient_code(None));
    }
}
