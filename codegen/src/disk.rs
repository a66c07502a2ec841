//! Writing generated files, and checking that the files on disk are what the generator makes.
//! Everything under the output folder belongs to the generator: files it no longer makes are stale.

use crate::Files;
use std::path::{Path, PathBuf};

/// How a file on disk differs from what the generator makes.
#[derive(Debug, PartialEq, Eq)]
pub enum Drift {
    /// Generated, but not on disk.
    Missing(String),
    /// On disk, but no longer generated.
    Extra(String),
    /// On disk with other contents; the diff is from the disk to the generated text.
    Changed(String, String),
}

/// Compares `files` with what is under `root`.
pub fn check(root: &Path, files: &Files) -> std::io::Result<Vec<Drift>> {
    let mut drift = Vec::new();
    for (path, contents) in files {
        match std::fs::read(root.join(path)) {
            Ok(bytes) => {
                let on_disk = String::from_utf8_lossy(&bytes).replace("\r\n", "\n");
                if on_disk != *contents {
                    let diff = proxy_wasm_spec::text::line_diff(&on_disk, contents);
                    drift.push(Drift::Changed(path.clone(), diff));
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                drift.push(Drift::Missing(path.clone()))
            }
            Err(e) => return Err(e),
        }
    }
    for path in existing(root)? {
        if !files.contains_key(&path) {
            drift.push(Drift::Extra(path));
        }
    }
    Ok(drift)
}

/// Makes `root` hold exactly `files`: writes what differs, removes what is no longer generated.
/// Returns how many files were written or removed.
pub fn write(root: &Path, files: &Files) -> std::io::Result<usize> {
    let mut touched = 0;
    for drift in check(root, files)? {
        match drift {
            Drift::Missing(path) | Drift::Changed(path, _) => {
                let target = root.join(&path);
                if let Some(dir) = target.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                std::fs::write(target, &files[&path])?;
            }
            Drift::Extra(path) => std::fs::remove_file(root.join(path))?,
        }
        touched += 1;
    }
    Ok(touched)
}

/// Every file below `root`, as `/`-separated relative paths; nothing if `root` does not exist.
/// Build output of the generated crates (`target/`) is not part of it.
fn existing(root: &Path) -> std::io::Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack: Vec<PathBuf> = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        for entry in entries {
            let entry = entry?;
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                if entry.file_name() != "target" {
                    stack.push(path);
                }
            } else if let Ok(rel) = path.strip_prefix(root) {
                let parts: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                out.push(parts.join("/"));
            }
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_then_check_then_drift() -> std::io::Result<()> {
        let root = std::env::temp_dir().join(format!("codegen-disk-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let mut files = Files::new();
        files.insert("a/b.md".into(), "one\ntwo\n".into());
        assert_eq!(write(&root, &files)?, 1);
        assert!(check(&root, &files)?.is_empty());
        std::fs::write(root.join("a/b.md"), "one\nTWO\n")?;
        std::fs::write(root.join("stale.md"), "x")?;
        let drift = check(&root, &files)?;
        assert_eq!(
            drift,
            vec![
                Drift::Changed("a/b.md".into(), "@@ line 2 @@\n-TWO\n+two\n".into()),
                Drift::Extra("stale.md".into())
            ]
        );
        assert_eq!(write(&root, &files)?, 2);
        assert!(check(&root, &files)?.is_empty());
        std::fs::remove_dir_all(&root)
    }
}
