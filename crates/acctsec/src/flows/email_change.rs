//! Changing the account's email address: the key to recovery, so the place takeovers finish. It
//! needs the current password, takes effect only when a link sent to the new address is
//! followed and confirmed, and tells the old address, with a link that undoes it for days.

use acctsec_core::rng::TryCryptoRng;
use acctsec_core::{
    Account, AccountStore, Actor, BindingDigest, ClientInfo, Clock, Email, IdempotencyKey, Message,
    MessageKind, Password, Purpose, SecurityEvent, SecurityEventKind, SecurityState, Timestamp,
    UserId,
};
use minijinja::Value;

use super::{Flows, email_time, swapped};
use crate::config::CHANGE_THROTTLE_WINDOW;
use crate::job::{EmailChangeJob, Job};
use crate::{Error, Result, keys};

/// What [`Flows::change_email`] answers: always this once the password was right, whether the
/// new address is free or belongs to another account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmailChangeRequested;

/// What a confirmed email change did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EmailChanged {
    /// Whose address changed.
    pub user: UserId,
    /// The account's address now.
    pub email: Email,
}

/// What an undone email change did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EmailChangeUndone {
    /// Whose address was restored.
    pub user: UserId,
    /// The account's session epoch now: every session was ended.
    pub session_epoch: u64,
}

impl<A, S, C, R> Flows<A, S, C, R>
where
    A: AccountStore,
    S: SecurityState,
    C: Clock,
    R: TryCryptoRng + Clone + Send + Sync + 'static,
{
    /// What an email-change link is bound to: the account's credential version and current
    /// address, and the address the link is about (the new one to confirm, the old one to
    /// restore). Any change to the account, or another address in the link, breaks it.
    fn email_binding(&self, account: &Account, other: &Email) -> BindingDigest {
        self.tokens.binding_key().bind(
            &account.id,
            &[
                &account.credential_version.to_be_bytes(),
                account.email.normalized().as_bytes(),
                other.normalized().as_bytes(),
            ],
        )
    }

    /// A signed-in owner asks to change their address to `new_email`. The current password must
    /// be right (wrong ones share the change-password throttle). Nothing changes yet: the worker
    /// sends a confirmation link to the new address — unless another account has it, in which
    /// case nothing is sent; the answer is the same either way.
    ///
    /// # Errors
    ///
    /// [`Error::WrongPassword`], [`Error::Throttled`], [`Error::UnknownAccount`]; infrastructure
    /// errors.
    pub async fn change_email(
        &self,
        user: &UserId,
        current: &Password,
        new_email: &Email,
        client: &ClientInfo,
    ) -> Result<EmailChangeRequested> {
        let now = self.clock.now();
        let account = self.enabled_account(user).await?;
        self.check_current_password(&account, current, now).await?;
        let correlation = self.new_correlation()?;
        let key =
            IdempotencyKey::new(format!("email:{correlation}")).map_err(|_| Error::Corrupt)?;
        let row = Self::row(key, MessageKind::EmailChangeConfirm, new_email.clone())?
            .with_user(account.id.clone())
            .with_correlation(correlation.clone());
        let job = Job::EmailChange(EmailChangeJob {
            user: account.id.clone(),
            new_email: new_email.clone(),
            requested_at: now,
            client: client.clone(),
        });
        self.enqueue(row, &job, now).await?;
        let event = SecurityEvent::new(
            account.id,
            SecurityEventKind::EmailChangeRequested,
            now,
            client.clone(),
        )
        .with_correlation(correlation);
        self.state.append(&event).await?;
        Ok(EmailChangeRequested)
    }

    /// The worker's half of an email change: the confirmation email to the new address, or why
    /// nothing is sent.
    pub(crate) async fn prepare_email_change(
        &self,
        job: &EmailChangeJob,
        now: Timestamp,
    ) -> Result<std::result::Result<Message, &'static str>> {
        let account = match self.accounts.find_by_id(&job.user).await? {
            Some(account) if !account.disabled => account,
            _ => return Ok(Err("nothing sent: the account is gone or disabled")),
        };
        if self.accounts.find_by_email(&job.new_email).await?.is_some() {
            return Ok(Err("nothing sent: the address already has an account"));
        }
        self.state
            .revoke_all(&account.id, &Purpose::EMAIL_CHANGE)
            .await?;
        let binding = self.email_binding(&account, &job.new_email);
        let ttl = self.config.email_confirm_ttl();
        let issued = self.tokens.issue(
            &Purpose::EMAIL_CHANGE,
            &account.id,
            &binding,
            ttl,
            now,
            &mut self.rng(),
        )?;
        self.state.insert(&issued.record(), now).await?;
        let mut values = self.common_values(&account, &job.client);
        values.insert("new_email", Value::from(job.new_email.as_str()));
        values.insert("requested_at", Value::from(email_time(job.requested_at)));
        values.insert(
            "link",
            Value::from(
                self.config
                    .confirm_email_link(issued.token.expose(), &job.new_email),
            ),
        );
        values.insert("valid_minutes", Value::from(ttl.as_secs().div_ceil(60)));
        self.render_message(
            "email_confirm",
            MessageKind::EmailChangeConfirm,
            &job.new_email,
            &values,
        )
        .map(Ok)
    }

    /// Takes the live token of `purpose` for the account it names, checking the binding `bind`
    /// computes from the account; `None` if it is not usable.
    async fn take_bound(
        &self,
        token: &str,
        purpose: &Purpose,
        bind: impl Fn(&Account) -> BindingDigest,
        now: Timestamp,
    ) -> Result<Option<Account>> {
        let Ok(opened) = self.tokens.open(token, purpose, now) else {
            return Ok(None);
        };
        let Some(account) = self.accounts.find_by_id(&opened.claims().subject).await? else {
            return Ok(None);
        };
        if account.disabled || opened.check_binding(&bind(&account)).is_err() {
            return Ok(None);
        }
        let Some(digest) = acctsec_token::digest(token) else {
            return Ok(None);
        };
        Ok(match self.state.take(&digest, now).await? {
            Some(record) if record.user == account.id && &record.purpose == purpose => {
                Some(account)
            }
            _ => None,
        })
    }

    /// The new address's owner confirms the change (the form post of the page the link opened;
    /// `new_email` is the link's `email` value). The address changes, the old address's reset
    /// links die, and the old address is told, with a link that undoes the change for days.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidLink`] for a link that is invalid, expired, used, or for another address
    /// or account state; [`Error::AddressUnavailable`] if another account took the address
    /// meanwhile; infrastructure errors.
    pub async fn confirm_email_change(
        &self,
        token: &str,
        new_email: &Email,
        client: &ClientInfo,
    ) -> Result<EmailChanged> {
        let now = self.clock.now();
        let account = self
            .take_bound(
                token,
                &Purpose::EMAIL_CHANGE,
                |a| self.email_binding(a, new_email),
                now,
            )
            .await?
            .ok_or(Error::InvalidLink)?;
        let version = swapped(
            self.accounts
                .replace_email(&account.id, account.credential_version, new_email)
                .await,
            Error::AddressUnavailable,
        )?;
        self.state
            .revoke_all(&account.id, &Purpose::PASSWORD_RESET)
            .await?;
        // The undo link is bound to the account as it is now, and names the old address.
        let mut changed = account.clone();
        changed.credential_version = version;
        changed.email = new_email.clone();
        let undo_ttl = self.config.email_undo_ttl();
        let issued = self.tokens.issue(
            &Purpose::EMAIL_CHANGE_UNDO,
            &account.id,
            &self.email_binding(&changed, &account.email),
            undo_ttl,
            now,
            &mut self.rng(),
        )?;
        self.state.insert(&issued.record(), now).await?;
        let mut values = self.common_values(&account, client);
        values.insert("new_email", Value::from(new_email.as_str()));
        values.insert("changed_at", Value::from(email_time(now)));
        values.insert(
            "undo_link",
            Value::from(
                self.config
                    .undo_email_link(issued.token.expose(), &account.email),
            ),
        );
        values.insert(
            "valid_days",
            Value::from(undo_ttl.as_secs().div_ceil(86_400)),
        );
        let message = self.render_message(
            "email_changed",
            MessageKind::EmailChanged,
            &account.email,
            &values,
        )?;
        let key = IdempotencyKey::new(format!("email-changed:{}", self.new_correlation()?))
            .map_err(|_| Error::Corrupt)?;
        self.enqueue_message(key, &account.id, &message, now)
            .await?;
        let event = SecurityEvent::new(
            account.id.clone(),
            SecurityEventKind::EmailChanged,
            now,
            client.clone(),
        );
        self.state.append(&event).await?;
        Ok(EmailChanged {
            user: account.id,
            email: new_email.clone(),
        })
    }

    /// The old address's owner undoes a change it did not make (the form post of the page the
    /// link opened; `old_email` is the link's `email` value): the old address is restored, every
    /// session ends and every outstanding link of the account dies — whoever changed it is out,
    /// and the owner can reset the password from the restored address.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidLink`] for a link that is invalid, expired, used or no longer matches the
    /// account; [`Error::AddressUnavailable`] if another account took the old address
    /// meanwhile; infrastructure errors.
    pub async fn undo_email_change(
        &self,
        token: &str,
        old_email: &Email,
        client: &ClientInfo,
    ) -> Result<EmailChangeUndone> {
        let now = self.clock.now();
        let account = self
            .take_bound(
                token,
                &Purpose::EMAIL_CHANGE_UNDO,
                |a| self.email_binding(a, old_email),
                now,
            )
            .await?
            .ok_or(Error::InvalidLink)?;
        swapped(
            self.accounts
                .replace_email(&account.id, account.credential_version, old_email)
                .await,
            Error::AddressUnavailable,
        )?;
        let session_epoch = self
            .accounts
            .end_sessions(&account.id)
            .await?
            .ok_or(Error::UnknownAccount)?;
        self.state.revoke_user(&account.id).await?;
        for kind in [
            SecurityEventKind::EmailChangeUndone,
            SecurityEventKind::SessionsEnded,
        ] {
            let event = SecurityEvent::new(account.id.clone(), kind, now, client.clone());
            let event = if kind == SecurityEventKind::SessionsEnded {
                event.with_actor(Actor::System)
            } else {
                event
            };
            self.state.append(&event).await?;
        }
        Ok(EmailChangeUndone {
            user: account.id,
            session_epoch,
        })
    }

    /// The enabled account with this id.
    pub(super) async fn enabled_account(&self, user: &UserId) -> Result<Account> {
        self.accounts
            .find_by_id(user)
            .await?
            .filter(|a| !a.disabled)
            .ok_or(Error::UnknownAccount)
    }

    /// Checks the current password of a signed-in owner, under the per-account throttle of
    /// wrong ones.
    pub(super) async fn check_current_password(
        &self,
        account: &Account,
        current: &Password,
        now: Timestamp,
    ) -> Result<()> {
        let throttle = keys::change_password(&account.id);
        let failures = acctsec_core::ThrottleStore::get(&self.state, &throttle, now).await?;
        if failures.is_some_and(|c| c.count >= self.config.change_attempts()) {
            return Err(Error::Throttled);
        }
        let normalized = self.policy.normalize(current)?;
        let right = match &account.password_hash {
            Some(stored) => self
                .hasher
                .verify(normalized, stored.clone())
                .await?
                .is_valid(),
            None => {
                // The same work as a wrong password, then refused.
                let _ = self.hasher.verify_unknown(normalized).await?;
                false
            }
        };
        if right {
            self.state.clear(&throttle).await?;
            Ok(())
        } else {
            self.state
                .hit(&throttle, CHANGE_THROTTLE_WINDOW, now)
                .await?;
            Err(Error::WrongPassword)
        }
    }
}
