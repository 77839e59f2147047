//! Carrying out a plan: stores the files its steps name, one after another (each pulled from
//! its source in pieces), and applies every step to the FilesMap the change starts from. The
//! only effects are the stores and their progress reports; what each step means was decided by
//! `plan`, apart from what only storing can tell (whether a file's link is the one already
//! there).

use super::entry::{is_dir, link_of, LINK};
use super::plan::{same_content, Mode, Step};
use crate::error::{Error, ErrorCode};
use crate::events::ProgressUnit;
use crate::net::Net;
use crate::ops::files;
use crate::ops::output::{FileChange, FilesMap, ProcessedFiles};
use crate::source::Source;
use safe_types::ContentType;

/// Applies `steps` to `files_map`; gives what was done and how many paths changed. A file that
/// cannot be read is Failed and left out; any other failure fails the whole change.
pub(super) async fn apply(
    net: &Net,
    files_map: &mut FilesMap,
    steps: Vec<Step>,
    mode: Mode,
) -> Result<(ProcessedFiles, usize), Error> {
    let mut processed = ProcessedFiles::new();
    let mut changes = 0;
    let total = steps.iter().filter(|s| matches!(s, Step::Store { .. })).count() as u64;
    let mut done = 0;
    for step in steps {
        match step {
            Step::Refuse { local, why } => {
                processed.insert(local, FileChange::Failed(why));
            }
            Step::Put { path, local, mut entry } => {
                let link = entry.link().unwrap_or_default().to_owned();
                let change = match files_map.get(&path) {
                    Some(old) => {
                        entry.keep_created(old);
                        FileChange::Updated(link)
                    }
                    None => FileChange::Added(link),
                };
                files_map.insert(path, entry.into_info());
                processed.insert(local, change);
                changes += 1;
            }
            Step::Store { path, local, mut entry, source } => {
                let mime = entry.mime().unwrap_or_default().to_owned();
                net.report_progress(done, total, ProgressUnit::Files, Some(local.clone()));
                let stored = store(net, source, &mime).await;
                done += 1;
                net.report_progress(done, total, ProgressUnit::Files, Some(local.clone()));
                let link = match stored {
                    Ok(link) => link,
                    // The file could not be read: leave it out and go on with the others.
                    Err(e) if e.code == ErrorCode::InvalidArgument => {
                        processed.insert(local, FileChange::Failed(e.message));
                        continue;
                    }
                    Err(e) => return Err(e),
                };
                entry.set_link(link.clone());
                let change = match files_map.get(&path) {
                    Some(old) if !is_dir(old) && old.get(LINK) == Some(&link) => {
                        // Sync leaves an unchanged file silently; add says why nothing changed.
                        if !matches!(mode, Mode::Sync { .. }) {
                            processed.insert(local, FileChange::Failed(same_content(&path)));
                        }
                        continue;
                    }
                    Some(old) => {
                        entry.keep_created(old);
                        FileChange::Updated(link)
                    }
                    None => FileChange::Added(link),
                };
                files_map.insert(path, entry.into_info());
                processed.insert(local, change);
                changes += 1;
            }
            Step::Remove { path } => {
                if let Some(info) = files_map.remove(&path) {
                    processed.insert(path, FileChange::Removed(link_of(&info)));
                    changes += 1;
                }
            }
        }
    }
    Ok((processed, changes))
}

/// Stores a file; gives its XOR-URL, which names its MIME type when the format has a code for it.
pub(super) async fn store(net: &Net, source: Source, mime: &str) -> Result<String, Error> {
    let content_type = ContentType::media_type(mime).unwrap_or(ContentType::Raw);
    files::store_file(net.clone(), source, content_type).await
}
