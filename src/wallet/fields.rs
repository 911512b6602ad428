//! What a user types for a new account, from either front, and the account it makes.

use zeroize::Zeroizing;

use crate::model::{Account, ClientAuth, Field, Grant, ProviderKind, Secret, Secrets};
use crate::providers::spec;

use super::NewAccount;

/// A new account as typed: every field as text, secrets wiped on drop. Both fronts fill
/// one; [`AccountFields::build`] keeps only what the provider and grant take.
#[derive(Clone, Debug)]
pub struct AccountFields {
    /// The account's name.
    pub name: String,
    /// The provider.
    pub provider: ProviderKind,
    /// The grant; `None` picks the provider's first.
    pub grant: Option<Grant>,
    /// Where the client secret goes.
    pub client_auth: ClientAuth,
    text: [String; Field::ALL.len()],
    secrets: [Zeroizing<String>; 3],
}

impl AccountFields {
    /// Blank fields for a new account of `provider`.
    pub fn new(name: impl Into<String>, provider: ProviderKind) -> Self {
        Self {
            name: name.into(),
            provider,
            grant: None,
            client_auth: ClientAuth::default(),
            text: Default::default(),
            secrets: Default::default(),
        }
    }

    /// The grant in force: the chosen one, else the provider's default.
    pub fn grant(&self) -> Grant {
        self.grant.unwrap_or(spec(self.provider).grants[0])
    }

    /// The text of a field, for a form to edit (secrets too; wiped on drop).
    pub fn value_mut(&mut self, field: Field) -> &mut String {
        match secret_slot(field) {
            Some(slot) => &mut self.secrets[slot],
            None => &mut self.text[field as usize],
        }
    }

    /// Sets a field from an optional value (a command-line option).
    pub fn set(&mut self, field: Field, value: Option<&str>) {
        value.unwrap_or_default().clone_into(self.value_mut(field));
    }

    fn value(&self, field: Field) -> Option<String> {
        let text = match secret_slot(field) {
            Some(slot) => self.secrets[slot].as_str(),
            None => self.text[field as usize].as_str(),
        };
        let grant = self.grant();
        Some(text.trim().to_owned())
            .filter(|t| !t.is_empty() && spec(self.provider).takes(grant, field))
    }

    /// The account and secrets these fields describe, not yet validated.
    pub fn build(&self) -> NewAccount {
        let mut account = Account::new(self.name.trim(), self.provider, self.grant());
        for field in Field::ALL {
            let value = self.value(field);
            if let Some(slot) = field.text_mut(&mut account) {
                *slot = value;
            }
        }
        if spec(self.provider).takes(self.grant(), Field::ClientAuth) {
            account.client_auth = self.client_auth;
        }
        let secrets = Secrets {
            client_secret: self.value(Field::ClientSecret).map(Secret::new),
            password: self.value(Field::Password).map(Secret::new),
            refresh_token: self.value(Field::RefreshToken).map(Secret::new),
            ..Secrets::default()
        };
        NewAccount { account, secrets }
    }
}

fn secret_slot(field: Field) -> Option<usize> {
    match field {
        Field::ClientSecret => Some(0),
        Field::Password => Some(1),
        Field::RefreshToken => Some(2),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_fields_the_provider_takes_are_kept_and_blanks_are_none() {
        let mut fields = AccountFields::new(" aiq ", ProviderKind::ACTIVE_IQ);
        fields.set(Field::RefreshToken, Some(" rt-1 "));
        fields.set(Field::Scope, Some("read"));
        fields.set(Field::ClientId, Some("   "));
        let new = fields.build();
        assert_eq!(new.account.name, "aiq");
        assert_eq!(new.account.grant, Grant::RefreshToken);
        assert_eq!(new.account.scope, None, "Active IQ takes no scope");
        assert_eq!(new.account.client_id, None);
        assert_eq!(
            new.secrets.refresh_token.as_ref().map(Secret::expose),
            Some("rt-1")
        );
        let mut oauth = AccountFields::new("o", ProviderKind::OAUTH2);
        oauth.set(Field::Scope, Some("read"));
        oauth.client_auth = ClientAuth::Post;
        let new = oauth.build();
        assert_eq!(new.account.scope.as_deref(), Some("read"));
        assert_eq!(new.account.client_auth, ClientAuth::Post);
    }
}
