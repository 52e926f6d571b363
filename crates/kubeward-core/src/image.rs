//! Container image references (`[registry[:port]/]repository[:tag][@digest]`), parsed the way
//! the container runtime resolves them: no registry means Docker Hub, a one-component name
//! means `library/`, no tag and no digest means `latest`.

/// A parsed image reference. Borrowed from the original string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImageRef<'a> {
    /// The registry host as written, if any (`ghcr.io`, `localhost:5000`).
    pub registry: Option<&'a str>,
    /// The repository path as written (`nginx`, `acme/api`).
    pub repository: &'a str,
    pub tag: Option<&'a str>,
    /// `algorithm:hex`, e.g. `sha256:...`.
    pub digest: Option<&'a str>,
}

/// Why a text is not an image reference.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ImageRefError {
    #[error("the image is empty")]
    Empty,
    #[error("image `{0}` contains whitespace")]
    Whitespace(String),
    #[error("digest `{0}` is not `algorithm:hex`")]
    Digest(String),
    #[error("sha256 digest `{0}` must have 64 hex digits")]
    Sha256Length(String),
    #[error("image `{0}` has an empty repository name")]
    EmptyRepository(String),
    #[error("image `{0}` has an empty tag")]
    EmptyTag(String),
}

impl<'a> ImageRef<'a> {
    /// Parses an image reference. Errors name what is wrong.
    pub fn parse(image: &'a str) -> Result<ImageRef<'a>, ImageRefError> {
        let image = image.trim();
        if image.is_empty() {
            return Err(ImageRefError::Empty);
        }
        if image.chars().any(char::is_whitespace) {
            return Err(ImageRefError::Whitespace(image.to_string()));
        }
        let (rest, digest) = match image.split_once('@') {
            Some((r, d)) => {
                let (alg, hex) = d
                    .split_once(':')
                    .ok_or_else(|| ImageRefError::Digest(d.to_string()))?;
                if alg.is_empty() || hex.is_empty() || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
                    return Err(ImageRefError::Digest(d.to_string()));
                }
                if alg == "sha256" && hex.len() != 64 {
                    return Err(ImageRefError::Sha256Length(d.to_string()));
                }
                (r, Some(d))
            }
            None => (image, None),
        };
        let (registry, path) = match rest.split_once('/') {
            Some((first, remainder))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (Some(first), remainder)
            }
            _ => (None, rest),
        };
        let last_slash = path.rfind('/').map_or(0, |i| i + 1);
        let (repository, tag) = match path[last_slash..].rfind(':') {
            Some(i) => {
                let at = last_slash + i;
                (&path[..at], Some(&path[at + 1..]))
            }
            None => (path, None),
        };
        if repository.is_empty() || repository.split('/').any(str::is_empty) {
            return Err(ImageRefError::EmptyRepository(image.to_string()));
        }
        if tag == Some("") {
            return Err(ImageRefError::EmptyTag(image.to_string()));
        }
        Ok(ImageRef {
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// The registry the runtime pulls from (`docker.io` when none is written).
    pub fn effective_registry(&self) -> &'a str {
        self.registry.unwrap_or("docker.io")
    }

    /// `registry/repository` with Docker Hub's implicit parts filled in
    /// (`nginx` → `docker.io/library/nginx`).
    pub fn full_name(&self) -> String {
        let reg = self.effective_registry();
        if self.registry.is_none() && !self.repository.contains('/') {
            format!("{reg}/library/{}", self.repository)
        } else {
            format!("{reg}/{}", self.repository)
        }
    }

    /// The tag the runtime uses: the written tag, or `latest` when neither tag nor digest is
    /// written. `None` for digest-only references.
    pub fn effective_tag(&self) -> Option<&'a str> {
        match (self.tag, self.digest) {
            (Some(t), _) => Some(t),
            (None, None) => Some("latest"),
            (None, Some(_)) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_usual_shapes() {
        let r = ImageRef::parse("nginx").unwrap();
        assert_eq!(
            (r.registry, r.repository, r.tag, r.digest),
            (None, "nginx", None, None)
        );
        assert_eq!(r.full_name(), "docker.io/library/nginx");
        assert_eq!(r.effective_tag(), Some("latest"));
        let r = ImageRef::parse("localhost:5000/team/app:1.2").unwrap();
        assert_eq!(
            (r.registry, r.repository, r.tag),
            (Some("localhost:5000"), "team/app", Some("1.2"))
        );
        let d = "sha256:".to_string() + &"a".repeat(64);
        let s = format!("ghcr.io/acme/api:v1@{d}");
        let r = ImageRef::parse(&s).unwrap();
        assert_eq!(
            (r.registry, r.tag, r.digest),
            (Some("ghcr.io"), Some("v1"), Some(d.as_str()))
        );
        let s = format!("acme/api@{d}");
        let r = ImageRef::parse(&s).unwrap();
        assert_eq!(
            (r.registry, r.repository, r.effective_tag()),
            (None, "acme/api", None)
        );
        assert_eq!(r.full_name(), "docker.io/acme/api");
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "a b",
            "nginx:",
            "nginx@sha256:xyz",
            "nginx@sha256:abc",
            "/nginx",
            "a//b",
        ] {
            assert!(ImageRef::parse(bad).is_err(), "{bad}");
        }
    }
}
