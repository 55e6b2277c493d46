//! URL-safe base64 without padding (RFC 4648 §5), canonical: every byte string has exactly one
//! encoding, and decoding refuses any other text (padding, other alphabets, a length of 4n + 1,
//! or unused low bits set in the last character).
//!
//! Table-driven, with the two smallest tables that serve: a token's nonce and tag pass through
//! them, so every look-up hits the 64-byte alphabet (one cache line) when encoding and the
//! 256-byte decoding table (four) when decoding — statics aligned to 64 bytes, so they span no
//! more lines than that — never a table large enough for cache timing to tell much about the
//! bits. (Larger tables, 8 KiB of character pairs and 4 KiB of
//! pre-shifted values, saved about 20 ns a token and were dropped for that reason.) The
//! secret-dependent comparison of a token, its tag, is done in constant time elsewhere. Tested
//! against `base64ct` on arbitrary input.

/// A look-up table starting on a cache line (64 bytes on the machines that matter).
#[repr(align(64))]
struct Table<const N: usize>([u8; N]);

static ALPHABET: Table<64> =
    Table(*b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");
/// The decoding table's entry for a character outside the alphabet; no 6-bit value has any of
/// the bits of [`OUTSIDE`].
const INVALID: u8 = 0xFF;
const OUTSIDE: u32 = 0xC0;

static DECODE: Table<256> = {
    let mut table = [INVALID; 256];
    let mut i = 0;
    while i < 64 {
        table[ALPHABET.0[i] as usize] = i as u8;
        i += 1;
    }
    Table(table)
};

fn sextet(bits: u32, shift: u32) -> u8 {
    ALPHABET.0[((bits >> shift) & 0x3F) as usize]
}

fn value(c: u8) -> u32 {
    u32::from(DECODE.0[usize::from(c)])
}

/// The encoded length of `n` bytes.
pub(crate) const fn encoded_len(n: usize) -> usize {
    (n * 4).div_ceil(3)
}

/// The encoding of `src`, in a string allocated once at its exact size (so no reallocation leaves
/// a copy behind).
pub(crate) fn encode(src: &[u8]) -> String {
    let mut out = vec![0_u8; encoded_len(src.len())];
    let mut chunks = src.chunks_exact(3);
    let mut groups = out.chunks_exact_mut(4);
    for (c, g) in (&mut chunks).zip(&mut groups) {
        let bits = u32::from(c[0]) << 16 | u32::from(c[1]) << 8 | u32::from(c[2]);
        g.copy_from_slice(&[
            sextet(bits, 18),
            sextet(bits, 12),
            sextet(bits, 6),
            sextet(bits, 0),
        ]);
    }
    match (chunks.remainder(), groups.into_remainder()) {
        (&[a], [g0, g1]) => {
            let bits = u32::from(a) << 16;
            (*g0, *g1) = (sextet(bits, 18), sextet(bits, 12));
        }
        (&[a, b], [g0, g1, g2]) => {
            let bits = u32::from(a) << 16 | u32::from(b) << 8;
            (*g0, *g1, *g2) = (sextet(bits, 18), sextet(bits, 12), sextet(bits, 6));
        }
        _ => {}
    }
    // Every byte comes from the ASCII alphabet, so this conversion cannot fail and does not copy.
    String::from_utf8(out).unwrap_or_default()
}

/// Decodes `src` into the front of `dst`, returning the decoded bytes, or `None` if `src` is not
/// the canonical encoding of anything or `dst` is too small.
pub(crate) fn decode<'a>(src: &[u8], dst: &'a mut [u8]) -> Option<&'a [u8]> {
    let len = match src.len() % 4 {
        0 => src.len() / 4 * 3,
        2 => src.len() / 4 * 3 + 1,
        3 => src.len() / 4 * 3 + 2,
        _ => return None,
    };
    let out = dst.get_mut(..len)?;
    let mut groups = src.chunks_exact(4);
    let mut bytes = out.chunks_exact_mut(3);
    // A character outside the alphabet has OUTSIDE bits set; OR-ing every value keeps them.
    let mut seen = 0_u32;
    for (g, b) in (&mut groups).zip(&mut bytes) {
        let [v0, v1, v2, v3] = [value(g[0]), value(g[1]), value(g[2]), value(g[3])];
        seen |= v0 | v1 | v2 | v3;
        let bits = v0 << 18 | v1 << 12 | v2 << 6 | v3;
        b[0] = (bits >> 16) as u8;
        b[1] = (bits >> 8) as u8;
        b[2] = bits as u8;
    }
    // The last, partial group: the bits its characters hold past the bytes must be zero.
    let tail_clear = match (groups.remainder(), bytes.into_remainder()) {
        ([], []) => true,
        (&[c0, c1], [b0]) => {
            let [v0, v1] = [value(c0), value(c1)];
            seen |= v0 | v1;
            let bits = v0 << 18 | v1 << 12;
            *b0 = (bits >> 16) as u8;
            bits & 0xFFFF == 0
        }
        (&[c0, c1, c2], [b0, b1]) => {
            let [v0, v1, v2] = [value(c0), value(c1), value(c2)];
            seen |= v0 | v1 | v2;
            let bits = v0 << 18 | v1 << 12 | v2 << 6;
            *b0 = (bits >> 16) as u8;
            *b1 = (bits >> 8) as u8;
            bits & 0xFF == 0
        }
        _ => false,
    };
    (seen & OUTSIDE == 0 && tail_clear).then_some(&*out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64ct::{Base64UrlUnpadded, Encoding};
    use proptest::prelude::*;

    #[test]
    fn known_answers() {
        // RFC 4648 §10, in the URL-safe alphabet without padding.
        for (raw, text) in [
            (&b""[..], ""),
            (b"f", "Zg"),
            (b"fo", "Zm8"),
            (b"foo", "Zm9v"),
            (b"foob", "Zm9vYg"),
            (b"fooba", "Zm9vYmE"),
            (b"foobar", "Zm9vYmFy"),
            (&[0xFB, 0xFF], "-_8"),
        ] {
            assert_eq!(encode(raw), text);
            let mut buf = [0_u8; 8];
            assert_eq!(decode(text.as_bytes(), &mut buf), Some(raw));
        }
        let mut buf = [0_u8; 8];
        for bad in [
            "Z", "Zh", "Zm9=", "Zm+v", "Zm/v", "Zm9 ", "Zm9vYmF", "Zm8=", "Zm\u{0}v",
        ] {
            assert_eq!(decode(bad.as_bytes(), &mut buf), None, "{bad:?}");
        }
        assert_eq!(
            decode(b"Zm9vYmFy", &mut [0_u8; 5]),
            None,
            "buffer too small"
        );
    }

    proptest! {
        #[test]
        fn encoding_matches_base64ct(raw in prop::collection::vec(any::<u8>(), 0..300)) {
            let s = encode(&raw);
            prop_assert_eq!(&s, &Base64UrlUnpadded::encode_string(&raw));
            prop_assert_eq!(s.len(), encoded_len(raw.len()));
            let mut buf = [0_u8; 300];
            prop_assert_eq!(decode(s.as_bytes(), &mut buf), Some(&raw[..]));
        }

        #[test]
        fn decoding_accepts_exactly_what_base64ct_accepts(text in "[A-Za-z0-9_=+/ -]{0,40}|\\PC{0,20}") {
            let mut buf = [0_u8; 64];
            let ours = decode(text.as_bytes(), &mut buf).map(<[u8]>::to_vec);
            let theirs = Base64UrlUnpadded::decode_vec(&text).ok();
            prop_assert_eq!(ours, theirs);
        }
    }
}
