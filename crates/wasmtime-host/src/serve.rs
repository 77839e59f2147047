//! `safe-wasmtime serve`: the whole Rust API over JSON lines on stdin and stdout, so that another
//! program (the shared acceptance suite in `tests/acceptance/`, a script in any language) can
//! drive this host as a child process.
//!
//! Each request is one line: `{"id": 1, "safe": 0, "method": "storeBytes", "args": [...]}`.
//! `method` is the TypeScript API's name (`host/api/safe-base.ts`) and `args` its positional
//! arguments, as JSON; `id` is any JSON value, echoed in the answer; `safe` picks the instance
//! (default 0, which exists from the start). Each answer is one line, in the order the calls
//! finish: `{"id": 1, "ok": <result>}` or `{"id": 1, "error": {"code": "NotFound", "message": "..."}}`
//! with the API's error codes. Requests run at once, each as a task, so several may be in
//! flight on one instance and its lock decides what runs together (`connect` and
//! `setKeypair` wait for the reads in flight). A line that is not a request is answered with
//! `"id": null` and `InvalidArgument`.
//!
//! Values: bytes are base64 strings (standard alphabet, padded) wherever the TypeScript API
//! has a `Uint8Array`, in arguments and results; `SafeData` has the TypeScript shape
//! ([`json::safe_data`], a file's `data` in base64); a byte range is `[start]` or `[start, end]`;
//! an option bag is an object (`{"recursive": true}`); tuples are arrays (`[url, processed,
//! filesMap]`); a missing optional argument is `null` or left out. Besides the API's methods:
//! `new` (`[xorurlBase?, timeoutSecs?]`) starts another instance and answers its number
//! (`dryRunner`, with the same arguments, a dry runner: see [`Options::dry_runner`]),
//! `isConnected` and `network` answer what the TypeScript getters do, and `close` closes an
//! instance (its later calls fail with `Closed`). `connect` takes `[{"bootstrap": [...]}]`;
//! without `bootstrap` it uses the command line's `--bootstrap`, or the contacts file.
//!
//! At the end of stdin the server waits for the calls in flight, closes every instance and
//! exits with status 0. This module only translates: beyond the JSON shape of the arguments
//! (a string where a string belongs, base64 where bytes do), every check and decision is the
//! library's ([`Safe`]), so the answers are the Rust API's.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use safe_wasmtime::{
    json, ErrorCode, FileChange, FilesMap, KeypairInfo, MultimapEntry, Options, RegisterEntry,
    Safe, SafeError, XorUrlBase,
};
use serde_json::{json, Map, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

/// What every instance the server starts shares: the command line's choices.
pub(crate) struct Defaults {
    /// The options of a new instance (backend, timeout, allowlist).
    pub(crate) options: Options,
    /// `connect`'s contacts when the call gives none (`--bootstrap`); empty: the contacts file.
    pub(crate) bootstrap: Vec<String>,
}

/// The server's instances, by number.
struct Server {
    defaults: Defaults,
    instances: Mutex<HashMap<u64, Arc<Safe>>>,
    next: Mutex<u64>,
}

fn invalid(message: impl Into<String>) -> SafeError {
    SafeError::new(ErrorCode::InvalidArgument, message)
}

fn b64(bytes: &[u8]) -> Value {
    Value::String(base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// A request's positional arguments, read by position with the API's argument names in errors.
struct Args(Vec<Value>);

impl Args {
    /// Argument `i`, `None` when it is missing or `null`.
    fn get(&self, i: usize) -> Option<&Value> {
        self.0.get(i).filter(|v| !v.is_null())
    }

    fn string(&self, i: usize, name: &str) -> Result<String, SafeError> {
        self.opt_string(i, name)?.ok_or_else(|| invalid(format!("{name} must be a string")))
    }

    fn opt_string(&self, i: usize, name: &str) -> Result<Option<String>, SafeError> {
        match self.get(i) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(invalid(format!("{name} must be a string"))),
        }
    }

    /// A URL: not a string is `InvalidUrl`, as in the TypeScript API.
    fn url(&self, i: usize, name: &str) -> Result<String, SafeError> {
        match self.get(i) {
            Some(Value::String(s)) => Ok(s.clone()),
            _ => Err(SafeError::new(
                ErrorCode::InvalidUrl,
                format!("{name} must be a string such as \"safe://hy...\""),
            )),
        }
    }

    fn bytes(&self, i: usize, name: &str) -> Result<Bytes, SafeError> {
        decode_bytes(self.get(i), name)
    }

    fn u64(&self, i: usize, name: &str) -> Result<u64, SafeError> {
        self.get(i)
            .and_then(Value::as_u64)
            .ok_or_else(|| invalid(format!("{name} must be an integer from 0 to 2^64-1")))
    }

    fn range(&self, i: usize) -> Result<Option<(u64, Option<u64>)>, SafeError> {
        let bad =
            || invalid("range must be [start] or [start, end], byte offsets with end exclusive");
        let Some(value) = self.get(i) else { return Ok(None) };
        let list = value.as_array().filter(|l| !l.is_empty() && l.len() <= 2).ok_or_else(bad)?;
        let start = list[0].as_u64().ok_or_else(bad)?;
        let end = match list.get(1).filter(|v| !v.is_null()) {
            None => None,
            Some(v) => Some(v.as_u64().ok_or_else(bad)?),
        };
        Ok(Some((start, end)))
    }

    fn strings(&self, i: usize, name: &str) -> Result<Option<Vec<String>>, SafeError> {
        let bad = || invalid(format!("{name} must be an array of strings"));
        let Some(value) = self.get(i) else { return Ok(None) };
        let list = value.as_array().ok_or_else(bad)?;
        list.iter()
            .map(|v| v.as_str().map(str::to_owned).ok_or_else(bad))
            .collect::<Result<_, _>>()
            .map(Some)
    }

    /// The option bag at `i` (an object, or nothing).
    fn options(&self, i: usize) -> Result<Flags<'_>, SafeError> {
        match self.get(i) {
            None => Ok(Flags(None)),
            Some(Value::Object(m)) => Ok(Flags(Some(m))),
            Some(_) => Err(invalid("options must be an object such as {\"recursive\": true}")),
        }
    }
}

/// An option bag's booleans.
struct Flags<'a>(Option<&'a Map<String, Value>>);

impl Flags<'_> {
    fn flag(&self, name: &str, default: bool) -> Result<bool, SafeError> {
        match self.0.and_then(|m| m.get(name)).filter(|v| !v.is_null()) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(invalid(format!("{name} must be true or false"))),
        }
    }
}

fn decode_bytes(value: Option<&Value>, name: &str) -> Result<Bytes, SafeError> {
    let text = value
        .and_then(Value::as_str)
        .ok_or_else(|| invalid(format!("{name} must be bytes as a base64 string")))?;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map(Bytes::from)
        .map_err(|e| invalid(format!("{name} is not valid base64: {e}")))
}

fn keypair(k: &KeypairInfo) -> Value {
    json!({ "publicKey": k.public_key, "secretKey": k.secret_key })
}

fn files_map(map: &FilesMap) -> Value {
    Value::Object(map.iter().map(|(path, info)| (path.clone(), json!(info))).collect())
}

fn processed(p: &std::collections::BTreeMap<String, FileChange>) -> Value {
    let change = |c: &FileChange| match c {
        FileChange::Added(link) => json!({ "change": "Added", "link": link }),
        FileChange::Updated(link) => json!({ "change": "Updated", "link": link }),
        FileChange::Removed(link) => json!({ "change": "Removed", "link": link }),
        FileChange::Failed(reason) => json!({ "change": "Failed", "reason": reason }),
    };
    Value::Object(p.iter().map(|(path, c)| (path.clone(), change(c))).collect())
}

fn container_change(c: safe_wasmtime::ContainerChange) -> Value {
    json!([c.0, processed(&c.1), files_map(&c.2)])
}

fn register_entries(entries: &[RegisterEntry]) -> Value {
    entries.iter().map(|e| json!({ "hash": e.hash, "entry": b64(&e.entry) })).collect()
}

fn multimap_entry(e: &MultimapEntry) -> Value {
    json!({ "hash": e.hash, "key": b64(&e.key), "value": b64(&e.value) })
}

fn xorurl_base(value: Option<&Value>) -> Result<Option<XorUrlBase>, SafeError> {
    match value.and_then(Value::as_str) {
        None if value.is_none() => Ok(None),
        Some("base32z") => Ok(Some(XorUrlBase::Base32z)),
        Some("base32") => Ok(Some(XorUrlBase::Base32)),
        Some("base64") => Ok(Some(XorUrlBase::Base64)),
        _ => Err(invalid("xorurlBase must be one of base32z, base32, base64 or null")),
    }
}

impl Server {
    fn instance(&self, n: u64) -> Result<Arc<Safe>, SafeError> {
        let instances = self.instances.lock().map_err(|_| poisoned())?;
        instances
            .get(&n)
            .cloned()
            .ok_or_else(|| invalid(format!("there is no Safe {n}: start one with the method new")))
    }

    /// `new` (and `dryRunner`, a dry runner): another instance, with the command line's
    /// options but for what `args` give.
    async fn open(&self, args: &Args, dry_run: bool) -> Result<Value, SafeError> {
        let mut options = self.defaults.options.clone();
        options.dry_run = dry_run;
        if let Some(base) = xorurl_base(args.get(0))? {
            options.xorurl_base = base;
        }
        if let Some(secs) = args.get(1) {
            let secs = secs
                .as_f64()
                .filter(|s| s.is_finite() && *s > 0.0 && *s <= f64::from(u32::MAX))
                .ok_or_else(|| invalid("timeoutSecs must be a number of seconds above 0"))?;
            options.timeout = Duration::from_secs_f64(secs);
        }
        let safe = Arc::new(Safe::new(options).await?);
        let n = {
            let mut next = self.next.lock().map_err(|_| poisoned())?;
            *next += 1;
            *next
        };
        self.instances.lock().map_err(|_| poisoned())?.insert(n, safe);
        Ok(json!(n))
    }

    /// Runs one request's method on instance `n`.
    async fn call(&self, n: u64, method: &str, args: Args) -> Result<Value, SafeError> {
        if method == "new" || method == "dryRunner" {
            return self.open(&args, method == "dryRunner").await;
        }
        let safe = self.instance(n)?;
        let a = &args;
        Ok(match method {
            "connect" => {
                let opts = a.options(0)?;
                let given = match opts.0.and_then(|m| m.get("bootstrap")).filter(|v| !v.is_null()) {
                    None => None,
                    Some(v) => {
                        let list = v.as_array().filter(|l| !l.is_empty()).ok_or_else(|| {
                            invalid("bootstrap must be a non-empty array of \"host:port\" strings")
                        })?;
                        let texts = list.iter().map(|c| c.as_str().map(str::to_owned));
                        Some(texts.collect::<Option<Vec<_>>>().ok_or_else(|| {
                            invalid("bootstrap must be a non-empty array of \"host:port\" strings")
                        })?)
                    }
                };
                safe.connect(given.as_deref().unwrap_or(&self.defaults.bootstrap)).await?;
                Value::Null
            }
            "isConnected" => json!(safe.is_connected()),
            "network" => match safe.network() {
                Some(n) => {
                    json!({ "nodes": n.nodes, "epoch": n.epoch, "replicationFactor": n.replication_factor })
                }
                None => Value::Null,
            },
            "close" => {
                safe.close().await;
                Value::Null
            }
            "storeBytes" => {
                json!(
                    safe.store_bytes(
                        a.bytes(0, "bytes")?,
                        a.opt_string(1, "mediaType")?.as_deref()
                    )
                    .await?
                )
            }
            "storeFile" => {
                json!(
                    safe.store_file(a.string(0, "path")?, a.opt_string(1, "mediaType")?.as_deref())
                        .await?
                )
            }
            "filesGet" => b64(&safe.files_get(&a.url(0, "url")?, a.range(1)?).await?),
            "fetch" => json::safe_data(&safe.fetch(&a.url(0, "url")?, a.range(1)?).await?, true),
            "inspect" => {
                let steps = safe.inspect(&a.url(0, "url")?).await?;
                steps.iter().map(|d| json::safe_data(d, true)).collect()
            }
            "checkReplicas" => json::file_replicas(&safe.check_replicas(&a.url(0, "url")?).await?),
            "filesContainerCreate" => json!(safe.files_container_create().await?),
            "filesContainerCreateFrom" => {
                let o = a.options(2)?;
                let (url, done, map) = safe
                    .files_container_create_from(
                        &a.string(0, "location")?,
                        a.opt_string(1, "dst")?.as_deref(),
                        o.flag("recursive", true)?,
                        o.flag("followLinks", false)?,
                    )
                    .await?;
                json!([url, processed(&done), files_map(&map)])
            }
            "filesContainerAdd" => {
                let o = a.options(2)?;
                container_change(
                    safe.files_container_add(
                        &a.string(0, "source")?,
                        &a.url(1, "url")?,
                        o.flag("force", false)?,
                        o.flag("updateNrs", false)?,
                        o.flag("followLinks", false)?,
                    )
                    .await?,
                )
            }
            "filesContainerAddFromRaw" => {
                let o = a.options(2)?;
                container_change(
                    safe.files_container_add_from_raw(
                        a.bytes(0, "bytes")?,
                        &a.url(1, "url")?,
                        o.flag("force", false)?,
                        o.flag("updateNrs", false)?,
                    )
                    .await?,
                )
            }
            "filesContainerSync" => {
                let o = a.options(2)?;
                container_change(
                    safe.files_container_sync(
                        &a.string(0, "location")?,
                        &a.url(1, "url")?,
                        o.flag("recursive", true)?,
                        o.flag("delete", false)?,
                        o.flag("updateNrs", false)?,
                        o.flag("followLinks", false)?,
                    )
                    .await?,
                )
            }
            "filesContainerRemovePath" => {
                let o = a.options(1)?;
                container_change(
                    safe.files_container_remove_path(
                        &a.url(0, "url")?,
                        o.flag("recursive", false)?,
                        o.flag("updateNrs", false)?,
                    )
                    .await?,
                )
            }
            "filesContainerGet" => {
                let (version, map) = safe.files_container_get(&a.url(0, "url")?).await?;
                json!([version, files_map(&map)])
            }
            "nrsCreate" => json!(safe.nrs_create(&a.string(0, "topName")?).await?),
            "nrsAssociate" => {
                json!(safe.nrs_associate(&a.string(0, "name")?, &a.url(1, "link")?).await?)
            }
            "nrsAdd" => json!(safe.nrs_add(&a.string(0, "name")?, &a.url(1, "link")?).await?),
            "nrsRemove" => json!(safe.nrs_remove(&a.string(0, "name")?).await?),
            "nrsGet" => {
                let (link, map) = safe
                    .nrs_get(&a.string(0, "name")?, a.opt_string(1, "version")?.as_deref())
                    .await?;
                json!([link, map])
            }
            "nrsGetSubnamesMap" => json!(
                safe.nrs_get_subnames_map(
                    &a.string(0, "name")?,
                    a.opt_string(1, "version")?.as_deref()
                )
                .await?
            ),
            "registerCreate" => json!(
                safe.register_create(
                    a.opt_string(0, "name")?.as_deref(),
                    a.u64(1, "tag")?,
                    a.opt_string(2, "contentType")?.as_deref(),
                )
                .await?
            ),
            "registerRead" => register_entries(&safe.register_read(&a.url(0, "url")?).await?),
            "registerReadEntry" => {
                b64(&safe.register_read_entry(&a.url(0, "url")?, &a.string(1, "hash")?).await?)
            }
            "registerWrite" => json!(
                safe.register_write(
                    &a.url(0, "url")?,
                    a.bytes(1, "entry")?,
                    a.strings(2, "parents")?
                )
                .await?
            ),
            "multimapCreate" => {
                json!(
                    safe.multimap_create(a.opt_string(0, "name")?.as_deref(), a.u64(1, "tag")?)
                        .await?
                )
            }
            "multimapInsert" => {
                let pair = a
                    .get(1)
                    .and_then(Value::as_array)
                    .filter(|p| p.len() == 2)
                    .ok_or_else(|| invalid("entry must be [key, value], two base64 strings"))?;
                let key = decode_bytes(pair.first(), "entry key")?;
                let value = decode_bytes(pair.get(1), "entry value")?;
                let replace = a.strings(2, "replace")?.unwrap_or_default();
                json!(safe.multimap_insert(&a.url(0, "url")?, key, value, replace).await?)
            }
            "multimapGetByKey" => {
                let entries =
                    safe.multimap_get_by_key(&a.url(0, "url")?, a.bytes(1, "key")?).await?;
                entries.iter().map(multimap_entry).collect()
            }
            "multimapGetByHash" => multimap_entry(
                &safe.multimap_get_by_hash(&a.url(0, "url")?, &a.string(1, "hash")?).await?,
            ),
            "multimapRemove" => {
                let hashes = a.strings(1, "hashes")?.unwrap_or_default();
                json!(safe.multimap_remove(&a.url(0, "url")?, hashes).await?)
            }
            "newKeypair" => keypair(&safe.new_keypair().await?),
            "getKeypair" => keypair(&safe.get_keypair().await?),
            "setKeypair" => {
                // A key pair object or its secret key, as in the TypeScript API.
                let secret = match a.get(0) {
                    Some(Value::Object(k)) => {
                        k.get("secretKey").and_then(Value::as_str).map(str::to_owned)
                    }
                    Some(Value::String(s)) => Some(s.clone()),
                    _ => None,
                }
                .ok_or_else(|| invalid("keypair must be a key pair or a secret key (64 hex)"))?;
                safe.set_keypair(&secret).await?;
                Value::Null
            }
            "keysCreatePreloadTestCoins" => {
                let (url, k) = safe.keys_create_preload_test_coins(&a.string(0, "amount")?).await?;
                json!([url, keypair(&k)])
            }
            "keysCreateAndPreload" => {
                let from = a.opt_string(1, "fromSecretKey")?;
                let (url, k) =
                    safe.keys_create_and_preload(&a.string(0, "amount")?, from.as_deref()).await?;
                json!([url, keypair(&k)])
            }
            "keysBalance" => json!(safe.keys_balance(&a.string(0, "secretKey")?).await?),
            "keysTransfer" => json!(
                safe.keys_transfer(
                    &a.string(0, "amount")?,
                    &a.string(1, "fromSecretKey")?,
                    &a.url(2, "toUrl")?,
                )
                .await?
            ),
            other => return Err(invalid(format!("unknown method '{other}'"))),
        })
    }

    /// Closes every instance (at the end of stdin).
    async fn close_all(&self) {
        let all: Vec<_> = match self.instances.lock() {
            Ok(mut instances) => instances.drain().map(|(_, s)| s).collect(),
            Err(_) => return,
        };
        for safe in all {
            safe.close().await;
        }
    }
}

fn poisoned() -> SafeError {
    SafeError::new(ErrorCode::Internal, "a request task panicked; please report this")
}

/// One answer line, its `id` first (compact JSON never holds a newline).
fn answer(id: Value, result: Result<Value, SafeError>) -> String {
    match result {
        Ok(ok) => format!(r#"{{"id":{id},"ok":{ok}}}"#),
        Err(e) => {
            let error = json!({ "code": e.code().as_str(), "message": e.message() });
            format!(r#"{{"id":{id},"error":{error}}}"#)
        }
    }
}

/// A request line's parts: its id, instance, method and arguments.
fn parse(line: &str) -> Result<(Value, u64, String, Args), (Value, SafeError)> {
    let value: Value = serde_json::from_str(line).map_err(|e| {
        (Value::Null, invalid(format!("a request must be one JSON object per line: {e}")))
    })?;
    let Value::Object(mut request) = value else {
        return Err((Value::Null, invalid("a request must be a JSON object")));
    };
    let id = request.remove("id").unwrap_or(Value::Null);
    let method = match request.remove("method") {
        Some(Value::String(m)) => m,
        _ => return Err((id, invalid("a request needs \"method\", the API method's name"))),
    };
    let n = match request.remove("safe") {
        None | Some(Value::Null) => 0,
        Some(v) => v
            .as_u64()
            .ok_or_else(|| (id.clone(), invalid("\"safe\" must be an instance number")))?,
    };
    let args = match request.remove("args") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a,
        Some(_) => {
            return Err((id, invalid("\"args\" must be an array of the method's arguments")))
        }
    };
    Ok((id, n, method, Args(args)))
}

/// Serves requests from stdin until it ends; instance 0 is started first.
pub(crate) async fn serve(defaults: Defaults) -> Result<(), SafeError> {
    let first = Arc::new(Safe::new(defaults.options.clone()).await?);
    let server = Arc::new(Server {
        defaults,
        instances: Mutex::new(HashMap::from([(0, first)])),
        next: Mutex::new(0),
    });
    let (tx, mut rx) = mpsc::unbounded_channel::<String>();
    let writer = tokio::spawn(async move {
        let mut out = tokio::io::stdout();
        while let Some(line) = rx.recv().await {
            let written = async {
                out.write_all(line.as_bytes()).await?;
                out.write_all(b"\n").await?;
                out.flush().await
            };
            if written.await.is_err() {
                break; // nobody reads the answers any more
            }
        }
    });
    let mut tasks = JoinSet::new();
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    loop {
        let line = match lines.next_line().await {
            Ok(Some(line)) => line,
            Ok(None) => break,
            Err(e) => {
                let _ =
                    tx.send(answer(Value::Null, Err(invalid(format!("cannot read stdin: {e}")))));
                break;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        match parse(&line) {
            Err((id, e)) => {
                let _ = tx.send(answer(id, Err(e)));
            }
            Ok((id, n, method, args)) => {
                let (server, tx) = (server.clone(), tx.clone());
                tasks.spawn(async move {
                    let result = server.call(n, &method, args).await;
                    let _ = tx.send(answer(id, result));
                });
            }
        }
        // Reap finished tasks as we go, so a long session does not keep them all.
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
    server.close_all().await;
    drop(tx);
    let _ = writer.await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_line_gives_its_id_instance_method_and_arguments() {
        let (id, n, method, args) =
            parse(r#"{"id":"a","safe":2,"method":"filesGet","args":["safe://x",[1,3]]}"#)
                .expect("a request");
        assert_eq!((id, n, method.as_str()), (json!("a"), 2, "filesGet"));
        assert_eq!(args.url(0, "url").expect("url"), "safe://x");
        assert_eq!(args.range(1).expect("range"), Some((1, Some(3))));
        let (_, n, _, args) = parse(r#"{"id":1,"method":"close"}"#).expect("defaults");
        assert_eq!((n, args.0.len()), (0, 0));
    }

    #[test]
    fn a_line_that_is_not_a_request_is_refused_with_its_id_when_it_has_one() {
        for (line, id) in [
            ("not json", Value::Null),
            ("[1]", Value::Null),
            (r#"{"id":7}"#, json!(7)),
            (r#"{"id":8,"method":"fetch","args":{}}"#, json!(8)),
            (r#"{"id":9,"method":"fetch","safe":-1}"#, json!(9)),
        ] {
            let Err((got, e)) = parse(line) else { panic!("{line} was taken as a request") };
            assert_eq!((got, e.code()), (id, ErrorCode::InvalidArgument), "{line}");
        }
    }

    #[test]
    fn arguments_are_read_by_position_with_the_api_names_in_errors() {
        let args = Args(vec![
            json!("aGk="),
            Value::Null,
            json!({"recursive": false}),
            json!(["a", 1]),
            json!(3),
        ]);
        assert_eq!(&args.bytes(0, "bytes").expect("base64")[..], b"hi");
        assert_eq!(args.opt_string(1, "mediaType").expect("null is none"), None);
        assert_eq!(args.range(1).expect("no range"), None);
        let flags = args.options(2).expect("an option bag");
        assert!(!flags.flag("recursive", true).expect("given"));
        assert!(flags.flag("followLinks", true).expect("default"));
        let e = args.strings(3, "parents").expect_err("not all strings");
        assert!(e.message().contains("parents"), "{e}");
        assert_eq!(args.url(4, "url").expect_err("a number").code(), ErrorCode::InvalidUrl);
        assert_eq!(
            args.bytes(4, "entry").expect_err("a number").code(),
            ErrorCode::InvalidArgument
        );
        assert_eq!(args.range(4).expect_err("not a list").code(), ErrorCode::InvalidArgument);
    }

    #[test]
    fn an_answer_is_one_line_with_the_result_or_the_error_code() {
        assert_eq!(answer(json!(1), Ok(json!("safe://x"))), r#"{"id":1,"ok":"safe://x"}"#);
        let line = answer(json!(2), Err(SafeError::new(ErrorCode::NotFound, "gone\nfor good")));
        assert!(line.starts_with(r#"{"id":2,"error":"#), "{line}");
        assert!(!line.contains('\n'), "{line}");
        let v: Value = serde_json::from_str(&line).expect("JSON");
        assert_eq!(v, json!({"id": 2, "error": {"code": "NotFound", "message": "gone\nfor good"}}));
    }
}
