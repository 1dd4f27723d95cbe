//! Sorting and slicing of `list` results as LogicalDOC does them (`SoapFolderService.list` with
//! `FolderComparator`, `SoapDocumentService.listPaginated` with `DocumentComparator`): the whole
//! listing is sorted by `sort` (`name asc, lastModified desc`; each item kind knows its fields
//! ([`Sortable`]), `lower(…)`/`upper(…)` for case-insensitive; unknown fields ignored), optionally
//! filtered by an Ant-style file-name pattern ([`wildcard`]), and then sliced only when `page` **and** `max` are
//! given **and** `max` is less than the number of items, so a short listing comes back whole on
//! every page. Inputs that make the real server throw are errors (answered 500).

use std::cmp::Ordering;

use super::tree::LdFolder;

/// An item a LogicalDOC sort expression can order.
pub trait Sortable {
    /// How `self` compares with `other` on `field` (names as in the sort expression); `None`
    /// for a field this kind of item does not have (ignored, as LogicalDOC's comparators do).
    fn compare_on(&self, other: &Self, field: &str, case_sensitive: bool) -> Option<Ordering>;
}

/// Compares names, case-sensitively or not.
pub fn by_name(a: &str, b: &str, case_sensitive: bool) -> Ordering {
    match case_sensitive {
        true => a.cmp(b),
        false => a.to_lowercase().cmp(&b.to_lowercase()),
    }
}

impl Sortable for LdFolder {
    fn compare_on(&self, other: &Self, field: &str, case_sensitive: bool) -> Option<Ordering> {
        Some(match field {
            "name" => by_name(&self.name, &other.name, case_sensitive),
            "id" => self.ld_id.cmp(&other.ld_id),
            "lastModified" => self.modified_ms.cmp(&other.modified_ms),
            "creation" => self.created_ms.cmp(&other.created_ms),
            _ => return None,
        })
    }
}

/// One term of a sort expression: field, case-sensitive, ascending.
type Term = (String, bool, bool);

fn terms(sort: &str) -> Result<Vec<Term>, String> {
    let mut out = Vec::new();
    for token in sort.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        let (mut field, direction) = token
            .split_once(' ')
            .ok_or_else(|| format!("sort {token:?} has no direction"))?;
        let ascending = direction.trim() == "asc";
        let mut case_sensitive = true;
        if field.starts_with("lower(") || field.starts_with("upper(") {
            case_sensitive = false;
            let close = field
                .rfind(')')
                .ok_or_else(|| format!("sort field {field:?} is not closed"))?;
            field = &field[6..close];
        }
        out.push((field.to_owned(), case_sensitive, ascending));
    }
    Ok(out)
}

/// Sorts `list` (stably) by a LogicalDOC sort expression; an empty one keeps the order.
pub fn sort<T: Sortable>(list: &mut [T], sort: &str) -> Result<(), String> {
    let keys = terms(sort)?;
    list.sort_by(|a, b| {
        keys.iter()
            .map(|(field, case_sensitive, ascending)| {
                let (x, y) = if *ascending { (a, b) } else { (b, a) };
                x.compare_on(y, field, *case_sensitive)
                    .unwrap_or(Ordering::Equal)
            })
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    });
    Ok(())
}

/// Whether `name` matches an Ant-style pattern (`*` any run, `?` one character),
/// case-insensitively.
pub fn wildcard(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let n: Vec<char> = name.to_lowercase().chars().collect();
    // Greedy matching with backtracking to the last `*`.
    let (mut i, mut j, mut star, mut mark) = (0, 0, None, 0);
    while j < n.len() {
        if i < p.len() && (p[i] == '?' || p[i] == n[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some(i);
            mark = j;
            i += 1;
        } else if let Some(s) = star {
            i = s + 1;
            mark += 1;
            j = mark;
        } else {
            return false;
        }
    }
    p[i..].iter().all(|&c| c == '*')
}

/// The page LogicalDOC returns: the whole list unless `page` and `max` are both given and `max`
/// is less than its length; then items `(page-1)*max ..` up to `max` of them.
pub fn page<T>(list: Vec<T>, page: Option<i32>, max: Option<i32>) -> Result<Vec<T>, String> {
    let (Some(page), Some(max)) = (page, max) else {
        return Ok(list);
    };
    if i64::from(max) >= list.len() as i64 {
        return Ok(list);
    }
    let skip = (i64::from(page) - 1) * i64::from(max);
    if skip < 0 || max < 0 {
        return Err(format!("cannot take page {page} of {max} items"));
    }
    Ok(list
        .into_iter()
        .skip(skip as usize)
        .take(max as usize)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(ld_id: i64, name: &str, modified_ms: i64) -> LdFolder {
        LdFolder {
            ld_id,
            parent_ld: 4,
            workspace: false,
            name: name.into(),
            creator: "alice".into(),
            created_ms: 0,
            modified_ms,
            resource_id: Some(format!("r{ld_id}")),
            alias_of: None,
            tags: Vec::new(),
            attributes: Default::default(),
        }
    }

    fn names(list: &[LdFolder]) -> Vec<&str> {
        list.iter().map(|f| f.name.as_str()).collect()
    }

    #[test]
    fn sorts_like_folder_comparator() {
        let mut l = vec![folder(1, "b", 3), folder(2, "A", 1), folder(3, "a", 2)];
        sort(&mut l, "name asc").unwrap();
        assert_eq!(names(&l), ["A", "a", "b"]);
        sort(&mut l, "name desc").unwrap();
        assert_eq!(names(&l), ["b", "a", "A"]);
        sort(&mut l, "lower(name) asc, id desc").unwrap();
        assert_eq!(names(&l), ["a", "A", "b"]);
        sort(&mut l, "lastModified asc").unwrap();
        assert_eq!(names(&l), ["A", "a", "b"]);
        sort(&mut l, "color asc").unwrap();
        assert_eq!(names(&l), ["A", "a", "b"], "unknown fields change nothing");
        assert!(sort(&mut l, "name").is_err());
        assert!(sort(&mut l, "lower(name asc").is_err());
    }

    #[test]
    fn slices_only_when_max_is_below_the_total() {
        let l: Vec<i32> = (1..=5).collect();
        assert_eq!(page(l.clone(), Some(2), Some(5)).unwrap(), l);
        assert_eq!(page(l.clone(), Some(9), Some(10)).unwrap(), l);
        assert_eq!(page(l.clone(), None, Some(2)).unwrap(), l);
        assert_eq!(page(l.clone(), Some(1), None).unwrap(), l);
        assert_eq!(page(l.clone(), Some(1), Some(2)).unwrap(), [1, 2]);
        assert_eq!(page(l.clone(), Some(3), Some(2)).unwrap(), [5]);
        assert!(page(l.clone(), Some(4), Some(2)).unwrap().is_empty());
        assert!(page(l.clone(), Some(1), Some(0)).unwrap().is_empty());
        assert!(page(l.clone(), Some(0), Some(2)).is_err());
        assert!(page(l.clone(), Some(1), Some(-1)).is_err());
    }

    #[test]
    fn wildcards_are_ant_style_and_case_insensitive() {
        assert!(wildcard("*.TXT", "notes.txt"));
        assert!(wildcard("n?tes.*", "Notes.md"));
        assert!(wildcard("*", ""));
        assert!(wildcard("a*b*c", "aXXbYYc"));
        assert!(wildcard("a*b*c", "abcbc"));
        assert!(!wildcard("a*b*c", "abcb"));
        assert!(!wildcard("?", ""));
        assert!(!wildcard("*.txt", "notes.txt.bak"));
        assert!(wildcard("notes.txt", "NOTES.TXT"));
    }
}
