//! The merged view of the image's interesting files across layers: which files are read
//! (`classify`), what was found in them, and whiteouts (`.wh.<name>`, `.wh..wh..opq`)
//! applied between layers. Only findings are kept, never file contents beyond a capped
//! os-release.

use crate::Limits;
use crate::model::Package;
use std::collections::BTreeMap;

/// What was found at a path.
#[derive(Clone, Debug)]
pub(crate) enum Data {
    /// os-release text.
    Text(Vec<u8>),
    /// A symbolic link (kept for os-release paths).
    Link(String),
    /// Packages read from the file, and problems with parts of it (UNKNOWN entries).
    Packages(Vec<Package>, Vec<String>),
    /// A package file that could not be read, and why.
    Unknown(String),
}

#[derive(Clone, Debug)]
pub(crate) struct Captured {
    pub layer: usize,
    pub data: Data,
}

/// What kind of file a path is, for the inventory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    OsRelease,
    DpkgStatus,
    DpkgStatusD,
    Apk,
    RpmSqlite,
    RpmBerkeley,
    RpmNdb,
    Python,
    Npm,
    Java,
    Binary,
}

pub(crate) const OS_RELEASE: [&str; 2] = ["etc/os-release", "usr/lib/os-release"];

const JAVA_EXT: [&str; 11] = [
    ".jar", ".war", ".ear", ".par", ".sar", ".nar", ".jpi", ".hpi", ".kar", ".far", ".lpkg",
];

/// Which files matter. `mode` is the tar mode, `regular` whether it is a regular file.
pub(crate) fn classify(p: &str, mode: u32, size: u64) -> Option<Kind> {
    if OS_RELEASE.contains(&p) {
        return Some(Kind::OsRelease);
    }
    match p {
        "var/lib/dpkg/status" => return Some(Kind::DpkgStatus),
        "lib/apk/db/installed" | "usr/lib/apk/db/installed" => return Some(Kind::Apk),
        "var/lib/rpm/rpmdb.sqlite"
        | "usr/lib/sysimage/rpm/rpmdb.sqlite"
        | "usr/share/rpm/rpmdb.sqlite" => return Some(Kind::RpmSqlite),
        "var/lib/rpm/Packages" | "usr/lib/sysimage/rpm/Packages" => {
            return Some(Kind::RpmBerkeley);
        }
        "var/lib/rpm/Packages.db" | "usr/lib/sysimage/rpm/Packages.db" => {
            return Some(Kind::RpmNdb);
        }
        _ => {}
    }
    if let Some(name) = p.strip_prefix("var/lib/dpkg/status.d/") {
        // One stanza file per package; `<pkg>.md5sums` (and scripts) are not stanzas.
        if !name.contains('/') && !name.is_empty() && !name.contains('.') {
            return Some(Kind::DpkgStatusD);
        }
        return None;
    }
    if p.ends_with(".dist-info/METADATA")
        || p.ends_with(".egg-info/PKG-INFO")
        || p.ends_with(".egg-info")
        || p.ends_with("/EGG-INFO/PKG-INFO")
    {
        return Some(Kind::Python);
    }
    if p.ends_with("/package.json") && npm_package_root(p) {
        return Some(Kind::Npm);
    }
    let lower = p.rsplit('/').next().unwrap_or(p).to_ascii_lowercase();
    if JAVA_EXT.iter().any(|e| lower.ends_with(e)) {
        return Some(Kind::Java);
    }
    if mode & 0o111 != 0 && size >= 64 {
        return Some(Kind::Binary);
    }
    None
}

/// `.../node_modules/<name>/package.json` or `.../node_modules/@scope/<name>/package.json`,
/// anchored on the last `node_modules`.
fn npm_package_root(p: &str) -> bool {
    let Some(i) = p.rfind("node_modules/") else {
        return false;
    };
    if i > 0 && !p[..i].ends_with('/') {
        return false;
    }
    let rest = &p[i + "node_modules/".len()..];
    let parts: Vec<&str> = rest.split('/').collect();
    match parts.as_slice() {
        [name, "package.json"] => !name.starts_with('@') && !name.starts_with('.'),
        [scope, _name, "package.json"] => scope.starts_with('@'),
        _ => false,
    }
}

/// Changes one layer makes to lower layers.
#[derive(Default)]
pub(crate) struct LayerChanges {
    pub added: BTreeMap<String, Captured>,
    /// Paths whose lower-layer entries (and everything under them) disappear.
    pub hide: Vec<String>,
    /// Directories whose lower-layer children disappear (opaque whiteouts).
    pub opaque: Vec<String>,
}

pub(crate) struct Tree {
    pub files: BTreeMap<String, Captured>,
    pub limits: Limits,
}

impl Tree {
    pub fn new(limits: Limits) -> Tree {
        Tree {
            files: BTreeMap::new(),
            limits,
        }
    }

    /// Whether a lower layer holds `p` or anything under it.
    pub fn holds(&self, p: &str) -> bool {
        if self.files.contains_key(p) {
            return true;
        }
        let prefix = format!("{p}/");
        self.files
            .range(prefix.clone()..)
            .next()
            .is_some_and(|(k, _)| k.starts_with(&prefix))
    }

    fn remove_under(&mut self, dir: &str, keep_self: bool) {
        if dir.is_empty() {
            self.files.clear();
            return;
        }
        if !keep_self {
            self.files.remove(dir);
        }
        let prefix = format!("{dir}/");
        let doomed: Vec<String> = self
            .files
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(k, _)| k.clone())
            .collect();
        for k in doomed {
            self.files.remove(&k);
        }
    }

    /// Applies a finished layer: whiteouts first (they never hide the layer's own entries),
    /// then its files.
    pub fn apply(&mut self, changes: LayerChanges) {
        for d in &changes.opaque {
            self.remove_under(d, true);
        }
        for p in &changes.hide {
            self.remove_under(p, false);
        }
        self.files.extend(changes.added);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        assert_eq!(classify("etc/os-release", 0o644, 10), Some(Kind::OsRelease));
        assert_eq!(
            classify("var/lib/dpkg/status.d/libc6", 0o644, 10),
            Some(Kind::DpkgStatusD)
        );
        assert_eq!(
            classify("var/lib/dpkg/status.d/libc6.md5sums", 0o644, 10),
            None
        );
        assert_eq!(
            classify(
                "usr/lib/node_modules/npm/node_modules/@scope/x/package.json",
                0o644,
                10
            ),
            Some(Kind::Npm)
        );
        assert_eq!(
            classify("app/node_modules/rxjs/ajax/package.json", 0o644, 10),
            None
        );
        assert_eq!(classify("app/package.json", 0o644, 10), None);
        assert_eq!(
            classify(
                "usr/lib/python3/site-packages/requests-2.31.0.dist-info/METADATA",
                0o644,
                10
            ),
            Some(Kind::Python)
        );
        assert_eq!(classify("opt/app/lib/Foo.JAR", 0o644, 10), Some(Kind::Java));
        assert_eq!(classify("usr/bin/app", 0o755, 4096), Some(Kind::Binary));
        assert_eq!(classify("usr/share/doc/x", 0o644, 4096), None);
    }

    #[test]
    fn whiteouts_hide_lower_entries_only() {
        let mut t = Tree::new(Limits::default());
        let cap = |l| Captured {
            layer: l,
            data: Data::Unknown("x".into()),
        };
        t.files.insert("a/b/c".into(), cap(0));
        t.files.insert("a/bc".into(), cap(0));
        t.files.insert("d/e".into(), cap(0));
        let mut ch = LayerChanges::default();
        ch.hide.push("a/b".into());
        ch.opaque.push("d".into());
        ch.added.insert("d/f".into(), cap(1));
        t.apply(ch);
        let keys: Vec<&String> = t.files.keys().collect();
        assert_eq!(keys, ["a/bc", "d/f"]);
    }
}
