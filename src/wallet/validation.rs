//! Checks made before any request: the account's name, URLs, grant and the fields its
//! provider requires, all read from the provider's [`Spec`](crate::providers::Spec).

use crate::model::{Account, Field, Need, Secrets, missing_fields};
use crate::providers::{checked_url, spec};

use super::WalletError;

/// Checks an account name: what a user can type and a file system can hold.
pub fn validate_name(name: &str) -> Result<(), WalletError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('-')
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || "-_.@".contains(c));
    if ok {
        Ok(())
    } else {
        Err(WalletError::BadName(name.to_owned()))
    }
}

/// Checks the name, the URLs and, when the provider requires one, that a URL is given.
/// Enough for an import, whose tokens come from the file.
pub fn validate_endpoints(account: &Account) -> Result<(), WalletError> {
    validate_name(&account.name)?;
    for url in [
        &account.url,
        &account.revoke_url,
        &account.issuer,
        &account.auth_url,
        &account.device_url,
        &account.redirect_uri,
        &account.catalog_url,
    ]
    .into_iter()
    .flatten()
    {
        checked_url(url).map_err(|source| WalletError::BadUrl {
            account: account.name.clone(),
            provider: account.provider,
            source,
        })?;
    }
    let url_rule = spec(account.provider)
        .rules(account.grant)
        .iter()
        .filter(|(field, need)| *field == Field::Url && *need == Need::Required)
        .copied()
        .collect::<Vec<_>>();
    missing(account, &Secrets::default(), &url_rule)
}

/// Checks that an account has what its provider and grant need, before any request.
pub fn validate(account: &Account, secrets: &Secrets) -> Result<(), WalletError> {
    validate_endpoints(account)?;
    let spec = spec(account.provider);
    if !spec.grants.contains(&account.grant) {
        return Err(WalletError::GrantUnavailable {
            account: account.name.clone(),
            provider: account.provider,
            grant: account.grant,
        });
    }
    missing(account, secrets, spec.rules(account.grant))
}

fn missing(
    account: &Account,
    secrets: &Secrets,
    rules: &[crate::model::FieldRule],
) -> Result<(), WalletError> {
    let missing = missing_fields(rules, account, secrets);
    if missing.is_empty() {
        Ok(())
    } else {
        Err(WalletError::Missing {
            account: account.name.clone(),
            provider: account.provider,
            grant: account.grant,
            missing,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Grant, MissingField, ProviderKind, Secret};

    fn missing_of(err: WalletError) -> Vec<Field> {
        match err {
            WalletError::Missing { missing, .. } => missing.iter().map(|m| m.field).collect(),
            other => panic!("not a Missing error: {other}"),
        }
    }

    #[test]
    fn validation_names_what_is_missing() {
        let account = Account::new("c", ProviderKind::ARUBA_CENTRAL, Grant::AuthorizationCode);
        let missing = missing_of(validate(&account, &Secrets::default()).unwrap_err());
        assert_eq!(
            missing,
            [
                Field::ClientId,
                Field::ClientSecret,
                Field::Username,
                Field::Password,
                Field::CustomerId
            ]
        );
        let mut bluexp = Account::new("b", ProviderKind::BLUEXP, Grant::RefreshToken);
        assert_eq!(
            missing_of(validate(&bluexp, &Secrets::default()).unwrap_err()),
            [Field::RefreshToken]
        );
        let with_rt = Secrets {
            refresh_token: Some(Secret::new("rt")),
            ..Secrets::default()
        };
        assert!(validate(&bluexp, &with_rt).is_ok());
        bluexp.grant = Grant::AuthorizationCode;
        assert!(
            validate(&bluexp, &with_rt)
                .unwrap_err()
                .to_string()
                .contains("not available")
        );
    }

    #[test]
    fn an_oauth2_account_needs_a_token_endpoint_or_an_issuer() {
        let mut account = Account::new("o", ProviderKind::OAUTH2, Grant::ClientCredentials);
        account.client_id = Some("c".into());
        let secrets = Secrets {
            client_secret: Some(Secret::new("s")),
            ..Secrets::default()
        };
        let WalletError::Missing { missing, .. } = validate(&account, &secrets).unwrap_err() else {
            panic!("expected Missing");
        };
        assert_eq!(
            missing,
            [MissingField {
                field: Field::Url,
                or: Some(Field::Issuer)
            }]
        );
        account.issuer = Some("https://idp.example.com".into());
        assert!(validate(&account, &secrets).is_ok());
    }

    #[test]
    fn validation_refuses_insecure_urls_and_bad_names() {
        let mut account = Account::new("ok", ProviderKind::APINIZER, Grant::ClientCredentials);
        let secrets = Secrets {
            password: Some(Secret::new("pw")),
            ..Secrets::default()
        };
        account.username = Some("u".into());
        assert_eq!(
            missing_of(validate(&account, &secrets).unwrap_err()),
            [Field::Url]
        );
        account.url = Some("http://apinizer.example.com".into());
        assert!(
            validate(&account, &secrets)
                .unwrap_err()
                .to_string()
                .contains("loopback")
        );
        account.url = Some("https://apinizer.example.com".into());
        assert!(validate(&account, &secrets).is_ok());
        for bad in ["", "-x", "a/b", "a b", &"x".repeat(65)] {
            assert!(validate_name(bad).is_err(), "{bad}");
        }
        assert!(validate_name("prod-central.eu_1@acme").is_ok());
    }
}
