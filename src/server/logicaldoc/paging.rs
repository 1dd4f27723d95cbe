//! Sorting and slicing of folder `list` results as LogicalDOC does them (`SoapFolderService.list`
//! with `FolderComparator`): the whole listing is sorted by `sort` (`name asc, lastModified
//! desc`; fields `name`, `id`, `lastModified`, `creation`, `lower(…)`/`upper(…)` for
//! case-insensitive; unknown fields ignored) and then sliced only when `page` **and** `max` are
//! given **and** `max` is less than the number of items, so a short listing comes back whole on
//! every page. Inputs that make the real server throw are errors (answered 500).

use std::cmp::Ordering;

use super::tree::LdFolder;

#[derive(Clone, Copy)]
enum Key {
    Name { case_sensitive: bool },
    Id,
    LastModified,
    Creation,
}

impl Key {
    fn compare(self, a: &LdFolder, b: &LdFolder) -> Ordering {
        match self {
            Key::Name {
                case_sensitive: true,
            } => a.name.cmp(&b.name),
            Key::Name {
                case_sensitive: false,
            } => a.name.to_lowercase().cmp(&b.name.to_lowercase()),
            Key::Id => a.ld_id.cmp(&b.ld_id),
            Key::LastModified => a.modified_ms.cmp(&b.modified_ms),
            Key::Creation => a.created_ms.cmp(&b.created_ms),
        }
    }
}

/// Sorts `list` (stably) by a LogicalDOC sort expression; an empty one keeps the order.
pub fn sort(list: &mut [LdFolder], sort: &str) -> Result<(), String> {
    let mut keys: Vec<(Key, bool)> = Vec::new();
    for token in sort.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        let (mut field, direction) = token
            .split_once(' ')
            .ok_or_else(|| format!("sort {token:?} has no direction"))?;
        let ascending = direction == "asc";
        let mut case_sensitive = true;
        if field.starts_with("lower(") || field.starts_with("upper(") {
            case_sensitive = false;
            let close = field
                .rfind(')')
                .ok_or_else(|| format!("sort field {field:?} is not closed"))?;
            field = &field[6..close];
        }
        let key = match field {
            "name" => Key::Name { case_sensitive },
            "id" => Key::Id,
            "lastModified" => Key::LastModified,
            "creation" => Key::Creation,
            _ => continue,
        };
        keys.push((key, ascending));
    }
    list.sort_by(|a, b| {
        keys.iter()
            .map(|(key, ascending)| match ascending {
                true => key.compare(a, b),
                false => key.compare(b, a),
            })
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    });
    Ok(())
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
}
