//! Fuzzing `SafeUrl::parse` with proptest: any string, strings shaped like safe:// URLs, and
//! valid XOR-URLs and NRS URLs with characters changed. Parsing never panics (in the component
//! a panic is a trap); what parses writes itself back to a URL that parses to the same thing.
//!
//! Cases: `PROPTEST_CASES` (default 256).
#![cfg(not(target_family = "wasm"))]

use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;
use safe_types::{ContentType, DataType, SafeUrl, XorName, XorUrlBase};

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(256);
    ProptestConfig { cases, ..ProptestConfig::default() }
}

/// Parses `text`; if it parses, its written form must parse to an equal URL.
fn check(text: &str) -> Result<(), TestCaseError> {
    if let Ok(url) = SafeUrl::parse(text) {
        let written = url.to_string();
        let again = SafeUrl::parse(&written);
        prop_assert!(
            again.is_ok(),
            "{:?} parsed, but its written form {:?} does not: {:?}",
            text,
            written,
            again
        );
        prop_assert_eq!(again.ok(), Some(url), "round trip of {:?}", text);
    }
    Ok(())
}

/// A valid XOR-URL with a path and a version, in any base.
fn xorurl() -> impl Strategy<Value = String> {
    (
        any::<[u8; 32]>(),
        any::<u64>(),
        0usize..3,
        prop::sample::select(vec![DataType::File, DataType::Register, DataType::SafeKey]),
    )
        .prop_map(|(name, tag, base, data_type)| {
            let base = [XorUrlBase::Base32z, XorUrlBase::Base32, XorUrlBase::Base64][base];
            let url = SafeUrl::new_xorurl(XorName(name), tag, ContentType::Raw, data_type, base)
                .expect("valid");
            format!("{}/a/b%20c?v=x#frag", url.to_xorurl(base))
        })
}

/// Changes, removes or inserts a few characters.
fn mutate(base: impl Strategy<Value = String>) -> impl Strategy<Value = String> {
    (base, proptest::collection::vec((any::<usize>(), any::<char>(), 0u8..3), 1..6)).prop_map(
        |(text, edits)| {
            let mut chars: Vec<char> = text.chars().collect();
            for (at, c, kind) in edits {
                let i = if chars.is_empty() { 0 } else { at % chars.len() };
                match kind {
                    0 if !chars.is_empty() => chars[i] = c,
                    1 if !chars.is_empty() => {
                        chars.remove(i);
                    }
                    _ => chars.insert(i, c),
                }
            }
            chars.into_iter().collect()
        },
    )
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_string(text in any::<String>()) {
        check(&text)?;
    }

    #[test]
    fn shaped_like_a_url(text in "safe://[a-zA-Z0-9.\\-_~%]{0,70}(/[a-zA-Z0-9%.]{0,12}){0,4}(\\?[a-z]=[a-zA-Z0-9]{0,60}(&v=[a-z0-9]{0,60})?)?(#[a-z]{0,5})?") {
        check(&text)?;
    }

    #[test]
    fn mutated_xorurls(text in mutate(xorurl())) {
        check(&text)?;
    }

    #[test]
    fn mutated_nrs_urls(text in mutate("safe://([a-z0-9\\-]{1,10}\\.){0,3}[a-z0-9\\-]{1,20}(/[a-z]{1,5}){0,2}")) {
        check(&text)?;
    }
}
