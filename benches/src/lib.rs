//! Criterion benches of acctsec, side by side with the peers a user would pick instead. The
//! benches live in `benches/`; `BENCHMARKS.md` at the workspace root records their figures and
//! the command that reproduces them. This library holds what several benches share.
#![forbid(unsafe_code)]

const WORDS: &[&str] = &[
    "summer",
    "dragon",
    "monkey",
    "sunshine",
    "purple",
    "tiger",
    "coffee",
    "garden",
    "silver",
    "rocket",
    "pepper",
    "winter",
    "forest",
    "castle",
    "banana",
    "ocean",
    "shadow",
    "thunder",
    "michael",
    "jessica",
    "football",
    "princess",
    "charlie",
    "freedom",
    "whatever",
    "butterfly",
];
const SYMBOLS: &[char] = &['!', '@', '#', '$', '.', '_', '-', '*'];

/// `n` ordinary passwords as people make them — one or two common words or names, a capital,
/// look-alike substitutions, a year or a number, a symbol — from a fixed seed, so every run and
/// every bench sees the same list.
#[must_use]
pub fn ordinary_passwords(n: usize) -> Vec<String> {
    let mut state = 0x2545_F491_4F6C_DD1D_u64;
    let mut next = move |bound: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        usize::try_from(state % u64::try_from(bound).unwrap_or(1)).unwrap_or(0)
    };
    (0..n)
        .map(|_| {
            let mut p = String::new();
            for _ in 0..=next(2) {
                let w = WORDS[next(WORDS.len())];
                if next(3) == 0 {
                    let mut c = w.chars();
                    p.extend(c.next().map(|f| f.to_ascii_uppercase()));
                    p.push_str(c.as_str());
                } else {
                    p.push_str(w);
                }
            }
            if next(2) == 0 {
                p = p.replace('a', "@").replace('o', "0");
            }
            match next(3) {
                0 => p.push_str(&(1960 + next(66)).to_string()),
                1 => p.push_str(&next(1000).to_string()),
                _ => {}
            }
            if next(2) == 0 {
                p.push(SYMBOLS[next(SYMBOLS.len())]);
            }
            p
        })
        .collect()
}
