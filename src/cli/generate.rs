//! `docsfs generate man DIR` and `docsfs generate completions DIR` (hidden): the man pages and
//! the shell completions, written from the same clap definitions that parse the command line,
//! so they never disagree with `--help`. `packaging/build-deb.sh` runs them before `cargo deb`
//! packs the results: docsfs(1) and one page per command (docsfs-mount(1), …),
//! mount.docsfs(8) for the mount(8) helper, and completions for bash, zsh and fish.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};
use clap_complete::Shell;

#[derive(Args, Debug)]
pub struct GenerateArgs {
    #[command(subcommand)]
    what: What,
}

#[derive(Subcommand, Debug)]
enum What {
    /// Man pages: docsfs.1, docsfs-COMMAND.1 and mount.docsfs.8.
    Man {
        /// The folder to write them to (created if missing).
        dir: PathBuf,
    },
    /// Shell completions: docsfs.bash, _docsfs (zsh) and docsfs.fish.
    Completions {
        /// The folder to write them to (created if missing).
        dir: PathBuf,
    },
}

pub fn generate(args: GenerateArgs) -> anyhow::Result<()> {
    let written = match args.what {
        What::Man { dir } => man_pages(&dir),
        What::Completions { dir } => completions(&dir),
    }?;
    for path in written {
        println!("{}", path.display());
    }
    Ok(())
}

fn create(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))
}

/// Writes the man pages into `dir`; returns their paths.
pub fn man_pages(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    create(dir)?;
    let failed = || format!("cannot write man pages to {}", dir.display());
    clap_mangen::generate_to(super::command(), dir).with_context(failed)?;
    helper_page(&dir.join("mount.docsfs.8")).with_context(failed)?;
    let mut pages: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(failed)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "1" || x == "8"))
        .collect();
    pages.sort();
    Ok(pages)
}

/// mount.docsfs(8): clap's name, synopsis, description and options, then the helper's own
/// sections (mount options, fstab, examples, files) as roff.
fn helper_page(path: &Path) -> std::io::Result<()> {
    use clap_mangen::roff::{Roff, bold, roman};
    let man = clap_mangen::Man::new(super::helper::command()).section("8");
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    let mut roff = Roff::new();
    for (title, items) in super::helper::SECTIONS {
        roff.control("SH", [*title]);
        for (term, text) in *items {
            match *term {
                "" => roff.control("PP", []).text([roman(*text)]),
                "$" => roff
                    .control("PP", [])
                    .control("RS", ["4"])
                    .control("nf", [])
                    .text([bold(*text)])
                    .control("fi", [])
                    .control("RE", []),
                _ => roff
                    .control("TP", [])
                    .text([bold(*term)])
                    .text([roman(*text)]),
            };
        }
    }
    roff.to_writer(&mut out)?;
    man.render_version_section(&mut out)?;
    std::fs::write(path, out)
}

/// Writes the bash, zsh and fish completions into `dir`; returns their paths.
pub fn completions(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    create(dir)?;
    let mut cmd = super::command();
    [Shell::Bash, Shell::Zsh, Shell::Fish]
        .into_iter()
        .map(|shell| {
            clap_complete::generate_to(shell, &mut cmd, "docsfs", dir)
                .with_context(|| format!("cannot write {shell} completions to {}", dir.display()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn man_pages_cover_every_command_and_the_helper() {
        let dir = tempfile::tempdir().unwrap();
        let pages = man_pages(dir.path()).unwrap();
        let names: Vec<String> = pages
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            [
                "docsfs-activity.1",
                "docsfs-demo.1",
                "docsfs-mount.1",
                "docsfs-serve.1",
                "docsfs-share.1",
                "docsfs-shares.1",
                "docsfs-status.1",
                "docsfs-unshare.1",
                "docsfs-versions-list.1",
                "docsfs-versions-restore.1",
                "docsfs-versions.1",
                "docsfs.1",
                "mount.docsfs.8"
            ]
        );
        let mount = std::fs::read_to_string(dir.path().join("docsfs-mount.1")).unwrap();
        assert!(
            mount.contains("config") && mount.contains("allow\\-other"),
            "{mount}"
        );
        let helper = std::fs::read_to_string(dir.path().join("mount.docsfs.8")).unwrap();
        assert!(helper.starts_with(".ie") || helper.contains(".TH mount.docsfs 8"));
        assert!(helper.contains("fstab"));
    }

    #[test]
    fn completions_for_three_shells_know_the_options() {
        let dir = tempfile::tempdir().unwrap();
        let files = completions(dir.path()).unwrap();
        assert_eq!(files.len(), 3);
        for file in ["docsfs.bash", "_docsfs", "docsfs.fish"] {
            let text = std::fs::read_to_string(dir.path().join(file)).unwrap();
            assert!(text.contains("token-file"), "{file}");
            assert!(!text.contains("mount-helper"), "{file}");
        }
    }
}
