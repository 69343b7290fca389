//! The AWS shared-credentials format read by `queue serve --auth`: `[profile]` sections (also
//! `[profile name]`, as in `~/.aws/config`), `key = value` lines, whole-line `#` and `;`
//! comments. Each profile with an `aws_access_key_id` and an `aws_secret_access_key` gives one
//! key, with its `aws_session_token` when there is one; other settings are ignored. Errors name
//! the line and the profile, never a secret.

use anyhow::{Result, bail};

/// One profile's key as the file gives it.
#[derive(Clone, PartialEq, Eq)]
pub(super) struct ProfileKey {
    pub(super) profile: String,
    pub(super) access_key_id: String,
    pub(super) secret: String,
    pub(super) session_token: Option<String>,
}

impl std::fmt::Debug for ProfileKey {
    /// The profile and access key id; never the secret or the token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[{}] {}", self.profile, self.access_key_id)
    }
}

/// The keys of every profile that has one, in file order.
///
/// # Errors
/// A line that is neither a section, a setting, a comment nor blank; a setting before any
/// section; a profile with only half a key, or a session token without a key.
pub(super) fn parse(text: &str) -> Result<Vec<ProfileKey>> {
    let mut keys = Vec::new();
    let mut current: Option<Profile> = None;
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if line.starts_with([' ', '\t']) && current.is_some() {
            // A nested setting's continuation (`s3 =` then indented lines): not a key.
            continue;
        }
        if let Some(section) = trimmed.strip_prefix('[') {
            let Some(name) = section.strip_suffix(']') else {
                bail!("line {number}: a section header must end with ']'");
            };
            let name = name.trim();
            let name = name.strip_prefix("profile ").map_or(name, str::trim);
            if name.is_empty() {
                bail!("line {number}: a section needs a name, as in [default]");
            }
            if let Some(done) = current.take() {
                keys.extend(done.finish()?);
            }
            current = Some(Profile::new(name));
            continue;
        }
        let Some((name, value)) = trimmed.split_once('=') else {
            bail!("line {number}: expected `name = value`, a [profile] header or a # comment");
        };
        let Some(profile) = current.as_mut() else {
            bail!("line {number}: a setting before any [profile] header");
        };
        let value = value.trim().to_string();
        match name.trim().to_ascii_lowercase().as_str() {
            "aws_access_key_id" => profile.access_key_id = Some(value),
            "aws_secret_access_key" => profile.secret = Some(value),
            "aws_session_token" => profile.session_token = Some(value),
            _ => {}
        }
    }
    if let Some(done) = current.take() {
        keys.extend(done.finish()?);
    }
    Ok(keys)
}

/// A section being read.
struct Profile {
    name: String,
    access_key_id: Option<String>,
    secret: Option<String>,
    session_token: Option<String>,
}

impl Profile {
    fn new(name: &str) -> Self {
        Self {
            name: name.to_string(),
            access_key_id: None,
            secret: None,
            session_token: None,
        }
    }

    /// The profile's key, none for a profile without one (a role or SSO profile), or why half
    /// a key is an error.
    fn finish(self) -> Result<Option<ProfileKey>> {
        let non_empty = |value: Option<String>| value.filter(|v| !v.is_empty());
        let name = self.name;
        match (
            non_empty(self.access_key_id),
            non_empty(self.secret),
            non_empty(self.session_token),
        ) {
            (Some(access_key_id), Some(secret), session_token) => Ok(Some(ProfileKey {
                profile: name,
                access_key_id,
                secret,
                session_token,
            })),
            (None, None, None) => Ok(None),
            (Some(_), None, _) => {
                bail!("profile [{name}] has an aws_access_key_id but no aws_secret_access_key")
            }
            (None, Some(_), _) => {
                bail!("profile [{name}] has an aws_secret_access_key but no aws_access_key_id")
            }
            (None, None, Some(_)) => {
                bail!("profile [{name}] has an aws_session_token but no access key")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_comments_and_other_settings() {
        let text = "\
# a comment
; another
[default]
aws_access_key_id = AKIDDEFAULT
aws_secret_access_key=secret/with=equals
region = eu-west-1

[profile dev]
AWS_ACCESS_KEY_ID =  AKIDDEV  
aws_secret_access_key = devsecret
aws_session_token = token+/=
s3 =
    max_concurrent_requests = 20

[sso]
sso_start_url = https://example.com
";
        let keys = parse(text).unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[0].profile, "default");
        assert_eq!(keys[0].access_key_id, "AKIDDEFAULT");
        assert_eq!(keys[0].secret, "secret/with=equals");
        assert_eq!(keys[0].session_token, None);
        assert_eq!(keys[1].profile, "dev");
        assert_eq!(keys[1].access_key_id, "AKIDDEV");
        assert_eq!(keys[1].secret, "devsecret");
        assert_eq!(keys[1].session_token.as_deref(), Some("token+/="));
    }

    #[test]
    fn half_keys_and_malformed_lines_are_errors_without_secrets() {
        let error = parse("[a]\naws_access_key_id = X\n").unwrap_err();
        assert_eq!(
            error.to_string(),
            "profile [a] has an aws_access_key_id but no aws_secret_access_key"
        );
        let error = parse("[a]\naws_secret_access_key = hidden\n")
            .unwrap_err()
            .to_string();
        assert!(!error.contains("hidden"), "{error}");
        assert!(
            parse("[a]\naws_session_token = t\n")
                .unwrap_err()
                .to_string()
                .contains("no access key")
        );
        assert_eq!(
            parse("aws_access_key_id = X\n").unwrap_err().to_string(),
            "line 1: a setting before any [profile] header"
        );
        assert!(
            parse("[a\n")
                .unwrap_err()
                .to_string()
                .starts_with("line 1:")
        );
        assert!(
            parse("[a]\njust words\n")
                .unwrap_err()
                .to_string()
                .starts_with("line 2:")
        );
        assert!(parse("").unwrap().is_empty());
    }
}
