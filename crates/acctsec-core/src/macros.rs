//! Macros shared by the crate's modules.

/// Defines a 32-byte digest newtype with constant-time equality and a `Debug` that prints none
/// of its bytes.
macro_rules! digest_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Eq)]
        pub struct $name([u8; 32]);

        impl $name {
            /// Wraps digest bytes.
            #[must_use]
            pub const fn from_bytes(bytes: [u8; 32]) -> Self {
                Self(bytes)
            }

            /// The digest bytes, for storage.
            #[must_use]
            pub const fn as_bytes(&self) -> &[u8; 32] {
                &self.0
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                $crate::ct_eq_32(&self.0, &other.0)
            }
        }

        // Hashing the bytes agrees with the constant-time equality: equal digests hash equally.
        impl std::hash::Hash for $name {
            fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
                self.0.hash(state);
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($name), "(..)"))
            }
        }
    };
}

/// Implements a store or mailer trait for `&T`, `Arc<T>` and `Box<T>` by forwarding every
/// method, so a host can hand a flow a shared reference or a pointer instead of the store itself.
macro_rules! forward_impls {
    ($trait:path, $what:literal { $(fn $name:ident(&self $(, $arg:ident: $ty:ty)* $(,)?) -> $out:ty;)* }) => {
        impl<T: $trait + ?Sized> $trait for &T {
            $(
                fn $name(&self $(, $arg: $ty)*) -> impl ::std::future::Future<Output = $out> + Send {
                    (**self).$name($($arg),*)
                }
            )*
        }

        impl<T: $trait + ?Sized> $trait for ::std::sync::Arc<T> {
            $(
                fn $name(&self $(, $arg: $ty)*) -> impl ::std::future::Future<Output = $out> + Send {
                    (**self).$name($($arg),*)
                }
            )*
        }

        impl<T: $trait + ?Sized> $trait for ::std::boxed::Box<T> {
            $(
                fn $name(&self $(, $arg: $ty)*) -> impl ::std::future::Future<Output = $out> + Send {
                    (**self).$name($($arg),*)
                }
            )*
        }
    };
}
