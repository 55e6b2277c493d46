//! How often acctsec-policy's strength scores agree with the reference JavaScript zxcvbn 4.4.2
//! on 10,000 ordinary passwords. Fails below 98%.
//!
//! `npm install --prefix benches/js && cargo bench -p acctsec-benches --bench zxcvbn_agreement`

#![allow(missing_docs, clippy::unwrap_used, clippy::panic)]

use std::io::Write;
use std::process::{Command, Stdio};

use acctsec_core::Password;
use acctsec_policy::{Context, Policy};

const GOAL: f64 = 0.98;

fn main() {
    let passwords = acctsec_benches::ordinary_passwords(10_000);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/js/zxcvbn-scores.js");
    let mut node = Command::new("node")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("node could not be started ({e}); install Node.js"));
    let mut stdin = node.stdin.take().unwrap();
    let input = passwords.join("\n") + "\n";
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()).unwrap());
    let output = node.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(
        output.status.success(),
        "the reference failed: run `npm install --prefix benches/js`"
    );
    let reference: Vec<u8> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| l.parse().unwrap())
        .collect();
    assert_eq!(reference.len(), passwords.len());

    let policy = Policy::default();
    let context = Context::new();
    let (mut agree, mut longer_than_window) = (0, 0);
    let mut disagreements = Vec::new();
    for (p, js) in passwords.iter().zip(&reference) {
        let ours = policy
            .evaluate(&Password::new(p.as_str()), &context)
            .unwrap()
            .strength
            .score;
        if ours == *js {
            agree += 1;
        } else {
            if p.chars().count() > acctsec_policy::STRENGTH_WINDOW_CHARS {
                longer_than_window += 1;
            }
            disagreements.push((p, ours, *js));
        }
    }
    let rate = f64::from(agree) / passwords.len() as f64;
    println!(
        "{agree} of {} scores agree with zxcvbn 4.4.2 (JavaScript): {:.2}% (goal {:.0}%)",
        passwords.len(),
        rate * 100.0,
        GOAL * 100.0
    );
    println!("disagreements on passwords longer than the strength window: {longer_than_window}");
    for (p, ours, js) in disagreements.iter().take(8) {
        println!("  {p:<32} ours {ours}  reference {js}");
    }
    if rate < GOAL {
        std::process::exit(1);
    }
}
