//! Writing the grader's files safely: reports whole or not at all, and kept output never
//! through a link planted at its path (which would write outside the grader's folder).

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Removes `path` if it is there (a file or a link, never what a link points to).
pub fn remove(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => {
            Err(err).with_context(|| format!("cannot remove {}", path.display()))
        }
        _ => Ok(()),
    }
}

/// Creates `path` as a new file, never following a link: whatever was at the path goes
/// first, and the create fails rather than write through a link put there meanwhile.
pub fn create_new(path: &Path, text: &str) -> Result<()> {
    remove(path)?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Writes `path` whole: into a new file beside it, then renamed over it (the rename
/// replaces a link at `path`, not its target), so that a grader killed midway leaves no
/// half-written report.
pub fn replace(path: &Path, text: &str) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let temporary = temporary(path);
    create_new(&temporary, text)?;
    std::fs::rename(&temporary, path).with_context(|| {
        format!(
            "cannot rename {} to {}",
            temporary.display(),
            path.display()
        )
    })
}

fn temporary(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{}.tmp", std::process::id()));
    path.with_file_name(name)
}

/// A folder of the grader's own at `path`: a link there is removed, not followed.
pub fn own_dir(path: &Path) -> Result<()> {
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        remove(path)?;
    }
    std::fs::create_dir_all(path).with_context(|| format!("cannot create {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("grade-files-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        dir
    }

    #[test]
    fn a_planted_link_is_replaced_not_followed() {
        let dir = scratch("link");
        let outside = dir.join("outside");
        std::fs::write(&outside, "precious").expect("writes");
        for write in [create_new, replace] {
            let kept = dir.join("kept.log");
            std::os::unix::fs::symlink(&outside, &kept).expect("links");
            write(&kept, "grader's").expect("written");
            assert_eq!(
                std::fs::read_to_string(&outside).expect("reads"),
                "precious"
            );
            assert_eq!(std::fs::read_to_string(&kept).expect("reads"), "grader's");
            assert!(!std::fs::symlink_metadata(&kept)
                .expect("there")
                .file_type()
                .is_symlink());
            std::fs::remove_file(&kept).expect("removed");
        }
        let linked_dir = dir.join("test");
        std::os::unix::fs::symlink(&dir, &linked_dir).expect("links");
        own_dir(&linked_dir).expect("made");
        assert!(std::fs::symlink_metadata(&linked_dir)
            .expect("there")
            .is_dir());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
