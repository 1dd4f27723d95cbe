//! Paginated listings: folder contents, the recycle bin and shared-with-me. Pages use keyset
//! pagination — the marker is the sort key of the last item returned, so items added or removed
//! between pages never cause a skip or a repeat of the others. Folders come before documents.
//! LogicalDOC folder aliases are never listed.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};

use super::rows::{RESOURCE_COLUMNS, ResourceRow, VersionRow};
use crate::server::error::ApiError;

/// Which items a listing draws from.
pub enum Source {
    Folder(String),
    /// Recycled items owned or recycled by this user.
    RecycleBin(String),
    /// Live items shared directly with this user by someone else.
    SharedWith(String),
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum SortBy {
    Name,
    Date,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kinds {
    All,
    Documents,
    Folders,
}

pub struct ListOptions {
    pub sort: SortBy,
    pub descending: bool,
    pub kinds: Kinds,
    pub include_initialized: bool,
    pub limit: usize,
    pub marker: Option<String>,
}

pub struct Listed {
    pub res: ResourceRow,
    pub latest: Option<VersionRow>,
}

pub struct Page {
    pub items: Vec<Listed>,
    pub next_marker: Option<String>,
}

/// Decoded marker: (kind rank, sort key, id).
type Position = (i64, Value, String);

fn encode_marker(pos: &Position) -> String {
    let key = match &pos.1 {
        Value::Integer(i) => serde_json::json!(i),
        Value::Text(t) => serde_json::json!(t),
        _ => serde_json::Value::Null,
    };
    URL_SAFE_NO_PAD.encode(serde_json::json!([pos.0, key, pos.2]).to_string())
}

fn decode_marker(marker: &str, sort: SortBy) -> Result<Position, ApiError> {
    let bad = || ApiError::Invalid("the marker is not one this service issued".into());
    let raw = URL_SAFE_NO_PAD.decode(marker).map_err(|_| bad())?;
    let v: serde_json::Value = serde_json::from_slice(&raw).map_err(|_| bad())?;
    let rank = v[0]
        .as_i64()
        .filter(|r| (0..=1).contains(r))
        .ok_or_else(bad)?;
    let key = match sort {
        SortBy::Name => Value::Text(v[1].as_str().ok_or_else(bad)?.to_owned()),
        SortBy::Date => Value::Integer(v[1].as_i64().ok_or_else(bad)?),
    };
    let id = v[2].as_str().ok_or_else(bad)?.to_owned();
    Ok((rank, key, id))
}

pub fn list(c: &Connection, source: &Source, opts: &ListOptions) -> Result<Page, ApiError> {
    let position = opts
        .marker
        .as_deref()
        .map(|m| decode_marker(m, opts.sort))
        .transpose()?;
    let ranks: &[i64] = match opts.kinds {
        Kinds::All => &[0, 1],
        Kinds::Folders => &[0],
        Kinds::Documents => &[1],
    };
    let mut rows: Vec<(ResourceRow, Position)> = Vec::new();
    for &rank in ranks {
        if position.as_ref().is_some_and(|p| rank < p.0) {
            continue;
        }
        let after = position.as_ref().filter(|p| p.0 == rank);
        let want = opts.limit + 1 - rows.len();
        rows.extend(list_kind(c, source, opts, rank, after, want)?);
        if rows.len() > opts.limit {
            break;
        }
    }
    let next_marker = if rows.len() > opts.limit {
        rows.truncate(opts.limit);
        rows.last().map(|(_, pos)| encode_marker(pos))
    } else {
        None
    };
    let items = rows
        .into_iter()
        .map(|(res, _)| {
            let latest = if res.is_folder() {
                None
            } else {
                VersionRow::latest_of(c, &res.id)?
            };
            Ok(Listed { res, latest })
        })
        .collect::<Result<_, ApiError>>()?;
    Ok(Page { items, next_marker })
}

/// Up to `want` items of one kind (rank 0 folders, 1 documents) after `after`, in order. One
/// kind at a time keeps each query on an index (parent, state, kind, key, id) in either order.
fn list_kind(
    c: &Connection,
    source: &Source,
    opts: &ListOptions,
    rank: i64,
    after: Option<&Position>,
    want: usize,
) -> Result<Vec<(ResourceRow, Position)>, ApiError> {
    let mut args: Vec<Value> = Vec::new();
    let mut push = |v: Value| {
        args.push(v);
        format!("?{}", args.len())
    };
    let mut wheres = vec![match source {
        Source::Folder(p) => format!(
            "r.parent_id = {} AND r.state = 'ACTIVE'",
            push(p.clone().into())
        ),
        Source::RecycleBin(u) => {
            let p = push(u.clone().into());
            format!("r.state = 'RECYCLED' AND (r.owner_id = {p} OR r.recycled_by = {p})")
        }
        Source::SharedWith(u) => {
            let p = push(u.clone().into());
            format!(
                "r.state = 'ACTIVE' AND r.owner_id <> {p} AND r.id IN (SELECT resource_id FROM \
                 permissions WHERE principal_type = 'USER' AND principal_id = {p})"
            )
        }
    }];
    wheres.push("r.alias_of IS NULL".into());
    wheres.push(if rank == 0 {
        "r.kind = 'FOLDER'".into()
    } else {
        "r.kind = 'DOCUMENT'".into()
    });
    if rank == 1 && !opts.include_initialized {
        wheres.push(
            "EXISTS (SELECT 1 FROM versions v WHERE v.document_id = r.id AND v.status = 'ACTIVE' \
             AND v.deleted = 0)"
                .into(),
        );
    }
    let key_expr = match opts.sort {
        SortBy::Name => "r.name",
        SortBy::Date => "r.modified_ms",
    };
    let (cmp, dir) = if opts.descending {
        ("<", "DESC")
    } else {
        (">", "ASC")
    };
    if let Some((_, key, id)) = after {
        let (k, i) = (push(key.clone()), push(id.clone().into()));
        wheres.push(format!(
            "({key_expr} {cmp} {k} OR ({key_expr} = {k} AND r.id {cmp} {i}))"
        ));
    }
    let cols: Vec<String> = RESOURCE_COLUMNS
        .split(", ")
        .map(|c| format!("r.{c}"))
        .collect();
    let sql = format!(
        "SELECT {}, {key_expr} FROM resources r WHERE {} ORDER BY {key_expr} {dir}, r.id {dir} LIMIT {want}",
        cols.join(", "),
        wheres.join(" AND "),
    );
    let mut stmt = c.prepare_cached(&sql)?;
    let ncols = cols.len();
    let rows = stmt
        .query_map(params_from_iter(args.iter()), |row| {
            let res = ResourceRow::from_row(row)?;
            let key: Value = row.get(ncols)?;
            let id = res.id.clone();
            Ok((res, (rank, key, id)))
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Every item directly in a user's recycle bin (unpaged; for emptying it).
pub fn recycle_bin_items(c: &Connection, user_id: &str) -> Result<Vec<ResourceRow>, ApiError> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {RESOURCE_COLUMNS} FROM resources WHERE state = 'RECYCLED' AND \
         (owner_id = ?1 OR recycled_by = ?1) AND alias_of IS NULL"
    ))?;
    let rows = stmt.query_map([user_id], ResourceRow::from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Parses the model's `LimitType` (1–999) from a query value, with a default.
pub fn parse_limit(raw: Option<&str>, default: usize) -> Result<usize, ApiError> {
    match raw {
        None => Ok(default),
        Some(s) => match s.parse::<usize>() {
            Ok(n) if (1..=999).contains(&n) => Ok(n),
            _ => Err(ApiError::Invalid(format!(
                "limit must be an integer from 1 to 999, not {s:?}"
            ))),
        },
    }
}
