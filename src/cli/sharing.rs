//! `docsfs share`, `docsfs unshare` and `docsfs shares`: who may see a folder or document of a
//! mount, changed and listed through the mount's daemon (`control.rs`), which holds the
//! credentials. `--with` names a user (WorkDocs: id, user name or email address; LogicalDOC:
//! the user's number) or a WorkDocs group.

use std::path::PathBuf;

use clap::Args;

use super::control;
use crate::mount::control::{Op, ShareOut};

/// A role a share gives.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShareRole {
    /// Read and download.
    Viewer,
    /// Also add, change, rename, move and delete.
    Contributor,
    /// Also share with others.
    Coowner,
}

impl ShareRole {
    fn word(self) -> &'static str {
        match self {
            ShareRole::Viewer => "viewer",
            ShareRole::Contributor => "contributor",
            ShareRole::Coowner => "coowner",
        }
    }
}

#[derive(Args, Debug)]
pub struct ShareArgs {
    /// A folder or document inside a docsfs mount.
    pub path: PathBuf,
    /// Whom to share with: a user (id, user name or email address; on LogicalDOC the user's
    /// number) or a group name.
    #[arg(long, value_name = "WHO")]
    pub with: String,
    /// What they may do.
    #[arg(long, value_enum)]
    pub role: ShareRole,
    /// Send them this message by email (WorkDocs).
    #[arg(long, value_name = "MSG")]
    pub notify: Option<String>,
}

#[derive(Args, Debug)]
pub struct UnshareArgs {
    /// A folder or document inside a docsfs mount.
    pub path: PathBuf,
    /// Whose direct share to remove (as for `docsfs share --with`, or an id `docsfs shares`
    /// lists).
    #[arg(long, value_name = "WHO")]
    pub with: String,
}

#[derive(Args, Debug)]
pub struct SharesArgs {
    /// A folder or document inside a docsfs mount.
    pub path: PathBuf,
    /// Print a JSON array (id, type, name, email, role, inherited) instead of a table.
    #[arg(long)]
    pub json: bool,
}

pub async fn share(args: ShareArgs) -> anyhow::Result<()> {
    let target = control::locate(&args.path)?;
    let op = Op::Share {
        ino: target.ino,
        with: args.with.clone(),
        role: args.role.word().into(),
        notify: args.notify.clone(),
    };
    control::ask(&target, op).await?;
    println!(
        "shared {} with {} as {}",
        args.path.display(),
        args.with,
        args.role.word()
    );
    Ok(())
}

pub async fn unshare(args: UnshareArgs) -> anyhow::Result<()> {
    let target = control::locate(&args.path)?;
    let op = Op::Unshare {
        ino: target.ino,
        with: args.with.clone(),
    };
    control::ask(&target, op).await?;
    println!("unshared {} with {}", args.path.display(), args.with);
    Ok(())
}

pub async fn shares(args: SharesArgs) -> anyhow::Result<()> {
    let target = control::locate(&args.path)?;
    let answer = control::ask(&target, Op::Shares { ino: target.ino }).await?;
    let shares = answer.shares.unwrap_or_default();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&shares)?);
    } else {
        print!("{}", table(&shares));
    }
    Ok(())
}

/// Who a share is with, for people: the name and address, else the id.
fn who(s: &ShareOut) -> String {
    match (&s.name, &s.email) {
        (Some(n), Some(e)) if !e.eq_ignore_ascii_case(n) => format!("{n} <{e}>"),
        (Some(n), _) => n.clone(),
        (None, Some(e)) => e.clone(),
        (None, None) => s.id.clone(),
    }
}

/// The shares as an aligned table with a header.
fn table(shares: &[ShareOut]) -> String {
    let mut rows = vec![[
        "WHO".to_owned(),
        "TYPE".to_owned(),
        "ROLE".to_owned(),
        "HOW".to_owned(),
    ]];
    for s in shares {
        let how = if s.inherited { "inherited" } else { "direct" };
        rows.push([who(s), s.principal_type.clone(), s.role.clone(), how.into()]);
    }
    let width = |c: usize| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0);
    let widths = [width(0), width(1), width(2)];
    let mut out = String::new();
    for r in &rows {
        for (c, w) in widths.iter().enumerate() {
            out.push_str(&format!("{:<w$}  ", r[c], w = *w));
        }
        out.push_str(&r[3]);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_aligned_and_names_people() {
        let shares = vec![
            ShareOut {
                id: "u1".into(),
                principal_type: "user".into(),
                name: Some("alice".into()),
                email: Some("alice@x.org".into()),
                role: "owner".into(),
                inherited: false,
            },
            ShareOut {
                id: "7".into(),
                principal_type: "user".into(),
                name: None,
                email: None,
                role: "viewer".into(),
                inherited: true,
            },
        ];
        let t = table(&shares);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[0], "WHO                  TYPE  ROLE    HOW");
        assert_eq!(lines[1], "alice <alice@x.org>  user  owner   direct");
        assert_eq!(lines[2], "7                    user  viewer  inherited");
    }
}
