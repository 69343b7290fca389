//! `queue serve --auth FILE`: the keys that may sign ([`Keys`], loaded from a file in the AWS
//! shared-credentials format by `credentials_file`) and the check of each request against them
//! (`sigv4`), answered with AWS's errors. Secrets never leave this module: not in errors, not
//! in `Debug`.

mod credentials_file;
mod sigv4;

pub(crate) use sigv4::canonical_path_and_query;

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::time::SystemTime;

use anyhow::{Result, bail};
use axum::http::{HeaderMap, Method, Uri};

use super::error::SqsError;
use crate::exit::Friendly;
use sigv4::Denied;

/// What a `--auth` file that cannot be used should be.
const HINT: &str = "give a file in the AWS shared-credentials format, [name] sections with aws_access_key_id and aws_secret_access_key lines, as ~/.aws/credentials";

/// The access keys that may sign requests, each with its secret and, for temporary
/// credentials, the session token that must come with it.
#[derive(Clone)]
pub struct Keys {
    by_access_key: HashMap<String, Key>,
}

/// One key's secret and required session token.
#[derive(Clone, PartialEq, Eq)]
struct Key {
    secret: String,
    session_token: Option<String>,
}

impl fmt::Debug for Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Keys({} access keys)", self.by_access_key.len())
    }
}

impl Keys {
    /// Reads `path` (the AWS shared-credentials format, as `~/.aws/credentials`).
    ///
    /// # Errors
    /// The file cannot be read, is malformed, or lists no key; one line naming the file.
    pub fn load(path: &Path) -> Result<Self> {
        let path_shown = path.display();
        let text = std::fs::read_to_string(path).map_err(|error| {
            Friendly::new(format!("cannot read --auth {path_shown}: {error}"), HINT)
        })?;
        Self::parse(&text)
            .map_err(|error| Friendly::new(format!("--auth {path_shown}: {error}"), HINT).into())
    }

    /// Keys from text in the AWS shared-credentials format: every profile's
    /// `aws_access_key_id` and `aws_secret_access_key`, with its `aws_session_token` if any.
    ///
    /// # Errors
    /// A malformed line, half a key, one access key with two different secrets, or no key.
    pub fn parse(text: &str) -> Result<Self> {
        let mut by_access_key: HashMap<String, (String, Key)> = HashMap::new();
        for found in credentials_file::parse(text)? {
            let key = Key {
                secret: found.secret,
                session_token: found.session_token,
            };
            match by_access_key.get(&found.access_key_id) {
                Some((first, known)) if *known != key => bail!(
                    "profiles [{first}] and [{}] give access key {} different secrets or session tokens",
                    found.profile,
                    found.access_key_id
                ),
                Some(_) => {}
                None => {
                    by_access_key.insert(found.access_key_id, (found.profile, key));
                }
            }
        }
        if by_access_key.is_empty() {
            bail!(
                "no profile has both aws_access_key_id and aws_secret_access_key (expected [name] sections with both, as in ~/.aws/credentials)"
            );
        }
        Ok(Self {
            by_access_key: by_access_key
                .into_iter()
                .map(|(id, (_, key))| (id, key))
                .collect(),
        })
    }

    /// How many access keys may sign.
    #[must_use]
    pub fn len(&self) -> usize {
        self.by_access_key.len()
    }

    /// Whether no key may sign (never, for keys that loaded).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.by_access_key.is_empty()
    }

    /// Whether `password` is the secret of access key `access_key_id` (the console's and
    /// `/metrics`' HTTP Basic sign-in). The secrets are compared as SHA-256 digests in
    /// constant time, so neither their content nor their length shows in the timing.
    #[must_use]
    pub fn password_matches(&self, access_key_id: &str, password: &str) -> bool {
        use sha2::{Digest as _, Sha256};
        use subtle::ConstantTimeEq as _;
        let Some(key) = self.by_access_key.get(access_key_id) else {
            return false;
        };
        let (given, secret) = (Sha256::digest(password), Sha256::digest(&key.secret));
        bool::from(given.as_slice().ct_eq(secret.as_slice()))
    }

    /// Whether the request is signed by one of the keys, as of `now`; else the error AWS
    /// answers.
    pub(crate) fn verify(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> Result<(), SqsError> {
        sigv4::verify(method, uri, headers, body, now, |id| {
            self.by_access_key.get(id)
        })
        .map_err(|denied| match denied {
            Denied::Missing => SqsError::missing_authentication_token(),
            Denied::Incomplete(message) => SqsError::incomplete_signature(message),
            Denied::InvalidToken => SqsError::invalid_client_token_id(),
            Denied::Expired => SqsError::request_expired(),
            Denied::Mismatch => SqsError::signature_does_not_match(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_from_profiles() {
        let keys = Keys::parse(
            "[a]\naws_access_key_id=A\naws_secret_access_key=s\n[b]\naws_access_key_id=A\naws_secret_access_key=s\n[c]\naws_access_key_id=C\naws_secret_access_key=t\naws_session_token=tok\n",
        )
        .unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(format!("{keys:?}"), "Keys(2 access keys)");
        assert_eq!(
            keys.by_access_key["C"].session_token.as_deref(),
            Some("tok")
        );
    }

    #[test]
    fn passwords_are_the_secrets_of_listed_keys() {
        let keys = Keys::parse("[a]\naws_access_key_id=A\naws_secret_access_key=s3cret\n").unwrap();
        assert!(keys.password_matches("A", "s3cret"));
        assert!(!keys.password_matches("A", "s3cre"));
        assert!(!keys.password_matches("B", "s3cret"));
    }

    #[test]
    fn no_keys_or_conflicting_secrets_are_errors() {
        let error = Keys::parse("[sso]\nregion = x\n").unwrap_err().to_string();
        assert!(error.starts_with("no profile has both"), "{error}");
        let error = Keys::parse(
            "[a]\naws_access_key_id=A\naws_secret_access_key=one\n[b]\naws_access_key_id=A\naws_secret_access_key=two\n",
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            error,
            "profiles [a] and [b] give access key A different secrets or session tokens"
        );
        let error = Keys::load(Path::new("/nonexistent/credentials"))
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("cannot read --auth /nonexistent/credentials: "),
            "{error}"
        );
    }
}
