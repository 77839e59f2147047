//! Runs the shared `safe://` URL vectors (tests/vectors/safeurl.json) against the Rust
//! `SafeUrl`. The TypeScript `SafeUrl` runs the same file (tests/safeurl.test.ts), so both sides
//! accept, refuse and print URLs alike.
//!
//! Each case has a `kind`:
//! - `parse` / `parseXorUrl`: `url` is parsed; `expect` lists every field, or `error` gives the
//!   code (`InvalidUrl`) and a fragment of the message. Beyond the listed fields, every
//!   `toXorUrl` must read back as the same address (except in the bases of `ambiguousIn`),
//!   `toString` must read back as an equal URL, and a bare XOR-URL must be what encode gives.
//! - `encode`: `encode` holds the arguments (`xorname` hex, `typeTag` as a number or, beyond
//!   2^53, a decimal string, `contentType`, `dataType`, `base`); `expect` is the URL. Argument
//!   errors are checked here only as failures: their messages name TypeScript arguments.
//! - `edit`: `url` is parsed, then `op` (`contentVersion`, `subNames` or `path`) is applied with
//!   `arg`; `expect` is the URL after, or `error` a fragment of the message.
//! - `mediaType`: one per line of the media-type table (`crates/types/media-types.txt`, checked
//!   below): `url` is the base32z XOR-URL of a file at xorname 0 with `mediaType`, whose `code`
//!   it carries; encoding that address gives `url`, and parsing `url` gives the type back.
//!
//! The expected values were worked out by hand from the byte layout; each case's `derivation`
//! says how. Every failure is collected, so one run lists all of them.

use std::str::FromStr;

use safe_types::{ContentType, DataType, SafeUrl, UrlError, VersionHash, XorName, XorUrlBase};
use serde_json::Value;

const VECTORS: &str = include_str!("../../../tests/vectors/safeurl.json");
const MEDIA_TYPES: &str = include_str!("../media-types.txt");
const BASES: [XorUrlBase; 3] = [XorUrlBase::Base32z, XorUrlBase::Base32, XorUrlBase::Base64];

fn cases() -> Vec<Value> {
    serde_json::from_str::<Vec<Value>>(VECTORS).expect("tests/vectors/safeurl.json is a JSON array")
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_else(|| panic!("'{key}' is a string in {v}"))
}

/// A type tag as the vectors write it: a JSON number, or a decimal string beyond 2^53.
fn tag_of(v: &Value) -> Option<u64> {
    match v {
        Value::Null => Some(0),
        Value::String(s) => s.parse().ok(),
        other => other.as_u64(),
    }
}

/// Collects what differs instead of stopping at the first difference.
struct Check<'a> {
    case: &'a str,
    failures: &'a mut Vec<String>,
}

impl Check<'_> {
    fn eq<T: PartialEq + std::fmt::Debug>(&mut self, what: &str, got: T, want: T) {
        if got != want {
            self.failures.push(format!("{}: {what}: got {got:?}, want {want:?}", self.case));
        }
    }

    fn fail(&mut self, msg: String) {
        self.failures.push(format!("{}: {msg}", self.case));
    }

    fn error_matches(&mut self, err: &str, error: &Value) {
        let fragment = str_of(error, "message");
        if !err.contains(fragment) {
            self.fail(format!("error {err:?} does not say {fragment:?}"));
        }
    }
}

/// `ambiguous`: the bases in which this address's name is ambiguous (`ambiguousIn`), so its
/// `toXorUrl` is not expected to read back as the same address; a separate vector says how it
/// reads.
fn check_fields(c: &mut Check<'_>, url: &SafeUrl, want: &Value, ambiguous: &[&str]) {
    c.eq("isNrs", url.is_nrs(), want["isNrs"].as_bool().expect("isNrs"));
    c.eq(
        "encodingVersion",
        u64::from(url.encoding_version()),
        want["encodingVersion"].as_u64().expect("n"),
    );
    c.eq("contentType", url.content_type().to_string().as_str(), str_of(want, "contentType"));
    c.eq("dataType", url.data_type().to_string().as_str(), str_of(want, "dataType"));
    c.eq("typeTag", Some(url.type_tag()), tag_of(&want["typeTag"]));
    c.eq("xorname", hex::encode(url.xorname().0).as_str(), str_of(want, "xorname"));
    c.eq("publicName", url.public_name().as_str(), str_of(want, "publicName"));
    c.eq("topName", url.top_name(), str_of(want, "topName"));
    let subs: Vec<&str> =
        want["subNames"].as_array().expect("subNames").iter().filter_map(Value::as_str).collect();
    c.eq("subNames", url.sub_names().iter().map(String::as_str).collect::<Vec<_>>(), subs);
    c.eq("path", url.path(), str_of(want, "path"));
    c.eq("pathDecoded", url.path_decoded().ok(), want["pathDecoded"].as_str().map(str::to_owned));
    c.eq("queryString", url.query(), str_of(want, "queryString"));
    let pairs: Vec<(String, String)> = want["query"]
        .as_array()
        .expect("query")
        .iter()
        .map(|p| (p[0].as_str().expect("key").to_owned(), p[1].as_str().expect("value").to_owned()))
        .collect();
    c.eq("query", url.query_pairs(), pairs);
    c.eq("fragment", url.fragment(), str_of(want, "fragment"));
    c.eq(
        "contentVersion",
        url.content_version().map(|v| v.to_string()),
        want["contentVersion"].as_str().map(str::to_owned),
    );
    c.eq("toString", url.to_string().as_str(), str_of(want, "toString"));
    for base in BASES {
        let xorurl = url.to_xorurl(base);
        c.eq(
            &format!("toXorUrl({base})"),
            xorurl.as_str(),
            str_of(&want["toXorUrl"], &base.to_string()),
        );
        // What toXorUrl writes parses back to the same address, as a XOR-URL.
        if ambiguous.contains(&base.to_string().as_str()) {
            continue;
        }
        match SafeUrl::parse_xorurl(&xorurl) {
            Ok(back) => {
                let addr = |u: &SafeUrl| {
                    (u.xorname(), u.type_tag(), u.content_type().clone(), u.data_type())
                };
                c.eq(&format!("address of toXorUrl({base})"), addr(&back), addr(url));
            }
            Err(e) => c.fail(format!("toXorUrl({base}) {xorurl} does not parse: {e}")),
        }
    }
    // toString parses back to an equal URL.
    match SafeUrl::parse(&url.to_string()) {
        Ok(back) => c.eq("parse(toString)", &back, url),
        Err(e) => c.fail(format!("toString {url} does not parse: {e}")),
    }
    // A bare address is what encode gives for it, in each base.
    let bare = url.sub_names().is_empty()
        && url.path().is_empty()
        && url.query().is_empty()
        && url.fragment().is_empty();
    if bare {
        for base in BASES {
            let encoded = SafeUrl::new_xorurl(
                url.xorname(),
                url.type_tag(),
                url.content_type().clone(),
                url.data_type(),
                base,
            )
            .map(|u| u.to_string());
            c.eq(&format!("encode({base})"), encoded, Ok(url.to_xorurl(base)));
        }
    }
}

fn run_parse(c: &mut Check<'_>, case: &Value, strict: bool) {
    let input = str_of(case, "url");
    let parsed = if strict { SafeUrl::parse_xorurl(input) } else { SafeUrl::parse(input) };
    match (parsed, case.get("expect"), case.get("error")) {
        (Ok(url), Some(want), None) => {
            let ambiguous: Vec<&str> = case
                .get("ambiguousIn")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            check_fields(c, &url, want, &ambiguous);
            // parse and parseXorUrl agree on XOR-URLs; parseXorUrl refuses NRS URLs.
            let strict = SafeUrl::parse_xorurl(input);
            if url.is_nrs() {
                if strict.is_ok() {
                    c.fail("parseXorUrl accepts an NRS URL".into());
                }
            } else {
                c.eq("parseXorUrl", strict.as_ref().ok(), Some(&url));
            }
        }
        (Err(e), None, Some(error)) => {
            c.eq("error code", str_of(error, "code"), "InvalidUrl");
            if matches!(e, UrlError::UnsupportedMediaType(_)) {
                c.fail(format!("{e} is an argument error, not InvalidUrl"));
            }
            c.error_matches(&e.to_string(), error);
        }
        (Ok(url), _, _) => c.fail(format!("parsed as {url}, expected an error")),
        (Err(e), _, _) => c.fail(format!("refused: {e}")),
    }
}

fn encode(args: &Value) -> Result<String, String> {
    let bytes = hex::decode(str_of(args, "xorname")).map_err(|e| e.to_string())?;
    let xorname = XorName(bytes.try_into().map_err(|_| "xorname is not 32 bytes".to_owned())?);
    let tag = tag_of(args.get("typeTag").unwrap_or(&Value::Null)).ok_or("bad type tag")?;
    let content_type =
        ContentType::from_str(str_of(args, "contentType")).map_err(|e| e.to_string())?;
    let data_type = DataType::from_str(str_of(args, "dataType"))?;
    let base = match args.get("base") {
        None => XorUrlBase::default(),
        Some(b) => b.as_str().ok_or("base is no string")?.parse()?,
    };
    SafeUrl::new_xorurl(xorname, tag, content_type, data_type, base)
        .map(|u| u.to_string())
        .map_err(|e| e.to_string())
}

fn run_encode(c: &mut Check<'_>, case: &Value) {
    match (encode(&case["encode"]), case.get("expect")) {
        (Ok(url), Some(want)) => c.eq("encode", url.as_str(), want.as_str().expect("a URL")),
        (Err(_), None) => {} // the message names the TypeScript argument; see the file header
        (Ok(url), None) => c.fail(format!("encoded {url}, expected an error")),
        (Err(e), Some(_)) => c.fail(format!("encode refused: {e}")),
    }
}

fn run_edit(c: &mut Check<'_>, case: &Value) {
    let mut url = match SafeUrl::parse(str_of(case, "url")) {
        Ok(url) => url,
        Err(e) => return c.fail(format!("url does not parse: {e}")),
    };
    let arg = &case["arg"];
    let result: Result<(), String> = match str_of(case, "op") {
        "contentVersion" => match arg.as_str().map(VersionHash::from_str).transpose() {
            Ok(version) => {
                url.set_content_version(version);
                Ok(())
            }
            Err(e) => Err(e.to_string()),
        },
        "subNames" => {
            let names: Vec<&str> =
                arg.as_array().expect("a list").iter().filter_map(Value::as_str).collect();
            url.set_sub_names(&names).map_err(|e| e.to_string())
        }
        "path" => url.set_path(arg.as_str().expect("a path")).map_err(|e| e.to_string()),
        other => panic!("unknown op {other}"),
    };
    match (result, case.get("expect"), case.get("error")) {
        (Ok(()), Some(want), None) => {
            let want = want.as_str().expect("a URL");
            c.eq("after edit", url.to_string().as_str(), want);
            c.eq("parse(after edit)", SafeUrl::parse(want).ok().as_ref(), Some(&url));
        }
        (Err(e), None, Some(error)) => c.error_matches(&e, error),
        (Ok(()), _, _) => c.fail(format!("edit gave {url}, expected an error")),
        (Err(e), _, _) => c.fail(format!("edit refused: {e}")),
    }
}

fn run_media_type(c: &mut Check<'_>, case: &Value) {
    let media_type = str_of(case, "mediaType");
    let url = str_of(case, "url");
    let encoded = ContentType::from_str(media_type).map_err(|e| e.to_string()).and_then(|ct| {
        SafeUrl::new_xorurl(XorName([0; 32]), 0, ct, DataType::File, XorUrlBase::Base32z)
            .map(|u| u.to_string())
            .map_err(|e| e.to_string())
    });
    c.eq("encode", encoded.as_deref(), Ok(url));
    match SafeUrl::parse_xorurl(url) {
        Ok(parsed) => {
            c.eq("contentType", parsed.content_type().to_string().as_str(), media_type);
            c.eq("dataType", parsed.data_type(), DataType::File);
        }
        Err(e) => c.fail(format!("{url} does not parse: {e}")),
    }
}

#[test]
fn every_vector_holds() {
    let cases = cases();
    let mut failures = Vec::new();
    for case in &cases {
        let name = str_of(case, "name");
        assert!(!str_of(case, "derivation").is_empty(), "{name} says how it was derived");
        let mut c = Check { case: name, failures: &mut failures };
        match str_of(case, "kind") {
            "parse" => run_parse(&mut c, case, false),
            "parseXorUrl" => run_parse(&mut c, case, true),
            "encode" => run_encode(&mut c, case),
            "edit" => run_edit(&mut c, case),
            "mediaType" => run_media_type(&mut c, case),
            other => panic!("{name}: unknown kind {other}"),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} vectors fail:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn vectors_cover_what_they_should() {
    let cases = cases();
    let mut names = std::collections::HashSet::new();
    for case in &cases {
        assert!(names.insert(str_of(case, "name")), "duplicate name {}", str_of(case, "name"));
    }
    let expects: Vec<&Value> =
        cases.iter().filter_map(|c| c.get("expect")).filter(|e| e.is_object()).collect();
    let seen = |key: &str, value: &str| {
        expects.iter().any(|e| e[key].as_str() == Some(value) || e[key] == value)
    };
    for ct in
        ["Raw", "Wallet", "FilesContainer", "NrsMapContainer", "Multimap", "text/html", "image/png"]
    {
        assert!(seen("contentType", ct), "no vector of content type {ct}");
    }
    for dt in ["SafeKey", "File", "Register", "Spentbook"] {
        assert!(seen("dataType", dt), "no vector of data type {dt}");
    }
    for tag in [0u64, 1, 1100, 1500, 1 << 32, u64::MAX] {
        assert!(
            expects.iter().any(|e| tag_of(&e["typeTag"]) == Some(tag)),
            "no vector of type tag {tag}"
        );
    }
    assert!(cases.len() >= 40, "only {} vectors", cases.len());
}

/// Every line of the media-type table has its `mediaType` vector, with its code, and no such
/// vector names a type the table lacks: the vectors cover every code both SafeUrls know.
#[test]
fn vectors_cover_every_media_type() {
    let table: Vec<(String, String)> = MEDIA_TYPES
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut fields = l.split_whitespace();
            let code = fields.next().expect("a code").to_owned();
            (code, fields.next().expect("a MIME type").to_owned())
        })
        .collect();
    let vectors: Vec<(String, String)> = cases()
        .iter()
        .filter(|c| str_of(c, "kind") == "mediaType")
        .map(|c| (str_of(c, "code").to_owned(), str_of(c, "mediaType").to_owned()))
        .collect();
    for entry in &table {
        assert!(vectors.contains(entry), "no mediaType vector for {entry:?}");
    }
    for vector in &vectors {
        assert!(table.contains(vector), "the mediaType vector {vector:?} is not in the table");
    }
    assert_eq!(vectors.len(), table.len(), "one vector per media type");
}
