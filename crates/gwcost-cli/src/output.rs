//! Where every command's output goes: `-o FILE` or, for `-o -` and no `-o`, standard output.
//!
//! A file is written to a temporary file beside it and renamed into place only once the whole
//! output is written, so a failed run (a bad flag found late, a full disk, Ctrl-C) never truncates
//! the file that was there, never leaves half a report, and never leaves an empty folder behind.
//! A failure to write is a [`WriteFailed`], which `main` maps to exit status 1 (not the input's
//! fault: retrying may help).

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use tempfile::NamedTempFile;

/// Writing the output failed (disk full, permission denied, a closed stdout): exit status 1.
#[derive(Debug, thiserror::Error)]
#[error("writing {target}")]
pub(crate) struct WriteFailed {
    pub target: String,
    #[source]
    pub source: io::Error,
}

/// The longest file name Linux, macOS and Windows file systems take, in bytes.
const NAME_MAX: usize = 255;

/// True for `-`, which means standard output wherever a command takes an output path.
pub(crate) fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Writes `bytes` to `output` (`None` or `-`: stdout) atomically.
pub(crate) fn write(output: Option<&Path>, bytes: &[u8]) -> Result<()> {
    let mut out = Output::create(output)?;
    out.write_all(bytes).map_err(|e| out.failed(e))?;
    out.commit()
}

/// Writes several files (a Markdown report and its PNG charts) so that either all of them are in
/// place afterwards or none was touched.
pub(crate) fn write_all(files: &[(PathBuf, &[u8])]) -> Result<()> {
    let mut pending: Vec<Output> = Vec::with_capacity(files.len());
    let mut stage = || -> Result<()> {
        for (path, bytes) in files {
            let mut out = Output::create(Some(path))?;
            out.write_all(bytes).map_err(|e| out.failed(e))?;
            out.flush().map_err(|e| out.failed(e))?;
            pending.push(out);
        }
        Ok(())
    };
    if let Err(e) = stage() {
        // Last made, first removed: a folder the first file created is empty again last.
        while let Some(out) = pending.pop() {
            drop(out);
        }
        return Err(e);
    }
    // Folders made for these files go again if a rename fails (only while they are empty).
    let created: Vec<PathBuf> = pending
        .iter()
        .flat_map(|o| match &o.sink {
            Sink::File { created, .. } => created.clone(),
            _ => Vec::new(),
        })
        .collect();
    let mut pending = pending.into_iter();
    for out in pending.by_ref() {
        if let Err(e) = out.commit() {
            pending.for_each(drop);
            remove_dirs(&created);
            return Err(e);
        }
    }
    Ok(())
}

/// An output being written: stdout, or a temporary file renamed onto the target by
/// [`Output::commit`] (dropped without it, the temporary file is removed and the target is
/// untouched).
pub(crate) struct Output {
    sink: Sink,
    target: String,
}

enum Sink {
    Stdout(io::StdoutLock<'static>),
    /// Committed: nothing more is written.
    Done,
    File {
        tmp: BufWriter<NamedTempFile>,
        path: PathBuf,
        /// Folders this output created, removed again when it is dropped unwritten.
        created: Vec<PathBuf>,
    },
}

impl Output {
    /// Opens `output` (`None` or `-`: stdout). Missing parent folders are created (and removed
    /// again if the output is never committed).
    pub(crate) fn create(output: Option<&Path>) -> Result<Self> {
        let path = match output {
            Some(p) if !is_stdout(p) => p,
            _ => {
                return Ok(Self {
                    sink: Sink::Stdout(io::stdout().lock()),
                    target: "stdout".to_owned(),
                });
            }
        };
        let target = path.display().to_string();
        if path.is_dir() {
            anyhow::bail!("{target} is a directory; -o names the file to write");
        }
        // Checked before anything is created: the rename at the end would fail on it.
        if path
            .file_name()
            .is_some_and(|n| n.as_encoded_bytes().len() > NAME_MAX)
        {
            anyhow::bail!("{target}: the file name is longer than {NAME_MAX} bytes");
        }
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let created = create_dirs(&dir).with_context(|| format!("creating {}", dir.display()))?;
        // A short name of its own: a target name near the 255-byte limit must still be writable.
        let tmp = tempfile::Builder::new()
            .prefix(".gwcost-")
            .suffix(".tmp")
            .tempfile_in(&dir);
        let tmp = match tmp {
            Ok(t) => t,
            Err(e) => {
                remove_dirs(&created);
                return Err(WriteFailed { target, source: e }.into());
            }
        };
        Ok(Self {
            sink: Sink::File {
                tmp: BufWriter::with_capacity(256 * 1024, tmp),
                path: path.to_path_buf(),
                created,
            },
            target,
        })
    }

    /// What is being written, for messages (`stdout` or the path).
    pub(crate) fn target(&self) -> &str {
        &self.target
    }

    /// Wraps an I/O error of this output as a [`WriteFailed`].
    pub(crate) fn failed(&self, source: io::Error) -> anyhow::Error {
        WriteFailed {
            target: self.target.clone(),
            source,
        }
        .into()
    }

    /// Flushes and, for a file, renames the temporary file onto the target.
    pub(crate) fn commit(mut self) -> Result<()> {
        self.flush().map_err(|e| self.failed(e))?;
        let target = self.target.clone();
        match std::mem::replace(&mut self.sink, Sink::Done) {
            Sink::Stdout(_) | Sink::Done => Ok(()),
            Sink::File {
                tmp, path, created, ..
            } => {
                let fail = |source: io::Error| {
                    remove_dirs(&created);
                    anyhow::Error::from(WriteFailed {
                        target: target.clone(),
                        source,
                    })
                };
                let tmp = tmp.into_inner().map_err(|e| fail(e.into_error()))?;
                tmp.as_file().sync_all().map_err(fail)?;
                // tempfile makes it 0600: keep the mode of the file it replaces, else 0644.
                set_permissions(tmp.path(), &path);
                tmp.persist(&path).map_err(|e| fail(e.error))?;
                Ok(())
            }
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.sink {
            Sink::Stdout(s) => s.write(buf),
            Sink::File { tmp, .. } => tmp.write(buf),
            Sink::Done => Err(io::ErrorKind::BrokenPipe.into()),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match &mut self.sink {
            Sink::Stdout(s) => s.write_all(buf),
            Sink::File { tmp, .. } => tmp.write_all(buf),
            Sink::Done => Err(io::ErrorKind::BrokenPipe.into()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.sink {
            Sink::Stdout(s) => s.flush(),
            Sink::File { tmp, .. } => tmp.flush(),
            Sink::Done => Ok(()),
        }
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        // Not committed: the temporary file removes itself; the folders made for it go too.
        if let Sink::File { created, .. } = &self.sink {
            remove_dirs(created);
        }
    }
}

/// A folder written under a temporary name beside its target and renamed into place by
/// [`StagedDir::commit`] (`gwcost convert`'s partitioned Parquet): dropped without it, the
/// temporary folder and any parents made for it are removed, so a failed run leaves nothing.
pub(crate) struct StagedDir {
    tmp: Option<tempfile::TempDir>,
    target: PathBuf,
    created: Vec<PathBuf>,
    /// An existing folder the staged files join at commit (`prices import --all`).
    merge: bool,
}

impl StagedDir {
    /// Stages `target`, which must not exist or be an empty folder (anything in it could be
    /// read twice beside the new files).
    pub(crate) fn create(target: &Path) -> Result<Self> {
        Self::stage(target, false)
    }

    /// Stages files for `target`, which may already hold others (`prices import --all` refreshing
    /// a folder of books): at commit the staged files are moved in, replacing their namesakes;
    /// before that the folder is untouched.
    pub(crate) fn create_or_merge(target: &Path) -> Result<Self> {
        Self::stage(target, target.is_dir())
    }

    fn stage(target: &Path, merge: bool) -> Result<Self> {
        let shown = target.display().to_string();
        if target.exists() && !merge {
            let mut entries =
                fs::read_dir(target).with_context(|| format!("{shown}: not a folder"))?;
            if entries.next().is_some() {
                anyhow::bail!(
                    "{shown}: output directory is not empty (converting into it could bill rows \
                     twice)"
                );
            }
        }
        let parent = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let created =
            create_dirs(&parent).with_context(|| format!("creating {}", parent.display()))?;
        let tmp = tempfile::Builder::new()
            .prefix(".gwcost-")
            .suffix(".tmp")
            .tempdir_in(&parent);
        match tmp {
            Ok(tmp) => Ok(Self {
                tmp: Some(tmp),
                target: target.to_path_buf(),
                created,
                merge,
            }),
            Err(source) => {
                remove_dirs(&created);
                Err(WriteFailed {
                    target: shown,
                    source,
                }
                .into())
            }
        }
    }

    /// Where to write meanwhile.
    pub(crate) fn path(&self) -> &Path {
        self.tmp.as_ref().map_or(&self.target, |t| t.path())
    }

    /// Renames the staged folder onto the target (an empty folder there is replaced).
    pub(crate) fn commit(mut self) -> Result<()> {
        let Some(tmp) = self.tmp.take() else {
            return Ok(());
        };
        let fail = |source: io::Error| WriteFailed {
            target: self.target.display().to_string(),
            source,
        };
        if self.merge {
            return merge_into(tmp.path(), &self.target);
        }
        if self.target.is_dir() {
            fs::remove_dir(&self.target).map_err(fail)?;
        }
        let staged = tmp.keep();
        if let Err(e) = fs::rename(&staged, &self.target) {
            let _ = fs::remove_dir_all(&staged);
            return Err(fail(e).into());
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            // tempfile makes it 0700; a folder the user creates is 0755 under the usual umask.
            let _ = fs::set_permissions(&self.target, fs::Permissions::from_mode(0o755));
        }
        self.created.clear();
        Ok(())
    }
}

impl Drop for StagedDir {
    fn drop(&mut self) {
        // Not committed: the temporary folder removes itself first, then the parents go.
        drop(self.tmp.take());
        remove_dirs(&self.created);
    }
}

/// Moves the files of `staged` into `target`, after checking that none would land on a folder
/// (the one rename that can fail for a reason known in advance: exit 2, like `-o` naming a
/// folder), so a refused merge leaves `target` as it was.
fn merge_into(staged: &Path, target: &Path) -> Result<()> {
    let fail = |source: io::Error| WriteFailed {
        target: target.display().to_string(),
        source,
    };
    let names = fs::read_dir(staged)
        .and_then(|d| {
            d.map(|e| e.map(|e| e.file_name()))
                .collect::<io::Result<Vec<_>>>()
        })
        .map_err(fail)?;
    for n in &names {
        let to = target.join(n);
        if to.is_dir() {
            anyhow::bail!(
                "{} is a directory; nothing was written to {}",
                to.display(),
                target.display()
            );
        }
    }
    for n in &names {
        fs::rename(staged.join(n), target.join(n)).map_err(fail)?;
    }
    Ok(())
}

/// Creates `dir` and its missing ancestors; returns the ones it created, deepest first.
fn create_dirs(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut missing = Vec::new();
    let mut d = Some(dir);
    while let Some(p) = d {
        if p.as_os_str().is_empty() || p.exists() {
            break;
        }
        missing.push(p.to_path_buf());
        d = p.parent();
    }
    fs::create_dir_all(dir)?;
    Ok(missing)
}

/// Removes folders made for an output that was never written (only while they are empty).
fn remove_dirs(dirs: &[PathBuf]) {
    for d in dirs {
        let _ = fs::remove_dir(d);
    }
}

#[cfg(unix)]
fn set_permissions(tmp: &Path, target: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(target).map_or(0o644, |m| m.permissions().mode() & 0o7777);
    let _ = fs::set_permissions(tmp, fs::Permissions::from_mode(mode));
}

#[cfg(not(unix))]
fn set_permissions(_tmp: &Path, _target: &Path) {}
