//! Changing the account's email address: the key to recovery, so the place takeovers finish. It
//! needs the current password, takes effect only when a link sent to the new address is
//! followed and confirmed, and tells the old address, with a link that undoes it for days —
//! whatever happens to the account meanwhile.

use acctsec_core::rng::{SystemRng, TryRng};
use acctsec_core::{
    Account, AccountStore, Actor, BindingDigest, ClientInfo, Clock, Email, Message, MessageKind,
    Password, Purpose, SecurityEventKind, SecurityState, Timestamp, UserId,
};
use minijinja::Value;

use super::{Flows, after_the_change, email_time, swapped};
use crate::config::{
    EMAIL_CHANGES_PER_ACCOUNT, EMAIL_CHANGES_PER_ADDRESS, MAX_REQUEST_AGE, RESET_THROTTLE_WINDOW,
};
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

/// How many times undo re-reads the account when a concurrent change moved its version.
const UNDO_RETRIES: usize = 3;

impl<A, S, C> Flows<A, S, C>
where
    A: AccountStore,
    S: SecurityState,
    C: Clock,
{
    /// What a confirmation link is bound to: the account's credential version and current
    /// address, and the new address. Any change to the account, or another address in the
    /// link, breaks it.
    fn confirm_binding(&self, account: &Account, new: &Email) -> BindingDigest {
        self.tokens.binding_key().bind(
            &account.id,
            &[
                b"email change",
                &account.credential_version.to_be_bytes(),
                account.email.normalized().as_bytes(),
                new.normalized().as_bytes(),
            ],
        )
    }

    /// What an undo link is bound to: the account and the address it restores — nothing that a
    /// later change can move, so an intruder who changed the address cannot kill the owner's
    /// undo link by changing the password or the address again.
    fn undo_binding(&self, user: &UserId, old: &Email) -> BindingDigest {
        self.tokens
            .binding_key()
            .bind(user, &[b"email change undo", old.normalized().as_bytes()])
    }

    /// A signed-in owner asks to change their address to `new_email`. The current password must
    /// be right (with the same counting as a password change); requests are limited per account
    /// (5 an hour) and per new address (3 an hour). Nothing changes yet: the worker sends a
    /// confirmation link to the new address — unless another account has it, or the account
    /// changed meanwhile (a new password ends a pending request), in which case nothing is sent;
    /// the answer is the same either way.
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
        self.check_current_password(&account, current, client, now)
            .await?;
        let mut throttled = false;
        for (key, limit) in [
            (keys::email_change_account(user), EMAIL_CHANGES_PER_ACCOUNT),
            (
                keys::email_change_address(new_email),
                EMAIL_CHANGES_PER_ADDRESS,
            ),
        ] {
            let decision = self
                .state
                .record_and_decide(&key, limit, RESET_THROTTLE_WINDOW, now)
                .await?;
            throttled |= !decision.is_allowed();
        }
        if throttled {
            return Err(Error::Throttled);
        }
        let correlation = self.new_correlation()?;
        let row = self
            .row(
                "email",
                Some(&correlation),
                MessageKind::EmailChangeConfirm,
                new_email.clone(),
            )?
            .with_user(account.id.clone());
        let job = Job::EmailChange(EmailChangeJob {
            user: account.id.clone(),
            new_email: new_email.clone(),
            requested_at: now,
            client: client.clone(),
            credential_version: account.credential_version,
        });
        self.enqueue(row, &job, now).await?;
        let kind = SecurityEventKind::EmailChangeRequested;
        self.record(&account.id, kind, now, client, |e| {
            e.with_correlation(correlation)
        })
        .await?;
        Ok(EmailChangeRequested)
    }

    /// The worker's half of an email change: the confirmation email to the new address, or
    /// `None` when nothing is to be sent — the account is gone, disabled or no longer as it was
    /// when the change was asked for, the address has an account, or the request is over a day
    /// old.
    pub(crate) async fn prepare_email_change(
        &self,
        job: &EmailChangeJob,
        now: Timestamp,
    ) -> Result<Option<Message>> {
        if job
            .requested_at
            .checked_add(MAX_REQUEST_AGE)
            .is_none_or(|t| now >= t)
        {
            return Ok(None);
        }
        let account = match self.accounts.find_by_id(&job.user).await? {
            Some(a) if !a.disabled && a.credential_version == job.credential_version => a,
            _ => return Ok(None),
        };
        if self.accounts.find_by_email(&job.new_email).await?.is_some() {
            return Ok(None);
        }
        self.state
            .revoke_all(&account.id, &Purpose::EMAIL_CHANGE)
            .await?;
        let ttl = self.config.email_confirm_ttl();
        let issued = self.tokens.issue(
            &Purpose::EMAIL_CHANGE,
            &account.id,
            &self.confirm_binding(&account, &job.new_email),
            ttl,
            now,
            &mut SystemRng,
        )?;
        self.state.insert(&issued.record(), now).await?;
        let mut values = self.common_values(&account, &job.client);
        // The new address is not yet the owner's: whoever reads it must not learn the phrase.
        values.insert("phrase", Value::from(None::<String>));
        values.insert("new_email", Value::from(job.new_email.as_str()));
        values.insert("requested_at", Value::from(email_time(job.requested_at)));
        let link = self
            .config
            .confirm_email_link(issued.token.expose(), &job.new_email);
        values.insert("link", Value::from(link));
        values.insert("valid_minutes", Value::from(ttl.as_secs().div_ceil(60)));
        let to = &job.new_email;
        let kind = MessageKind::EmailChangeConfirm;
        self.render_message("email_confirm", kind, to, &values)
            .map(Some)
    }

    /// Takes the live token of `purpose` for the account it names, if `bind` computes its
    /// binding from that account; `None` if it is not usable.
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
        let purpose = Purpose::EMAIL_CHANGE;
        let bind = |a: &Account| self.confirm_binding(a, new_email);
        let account = self
            .take_bound(token, &purpose, bind, now)
            .await?
            .ok_or(Error::InvalidLink)?;
        // The undo link and the notice are made before the change, so nothing after it can
        // leave the old address untold. Until the notice is sent, nobody holds the undo link.
        let old = &account.email;
        let undo_ttl = self.config.email_undo_ttl();
        let undo = self.tokens.issue(
            &Purpose::EMAIL_CHANGE_UNDO,
            &account.id,
            &self.undo_binding(&account.id, old),
            undo_ttl,
            now,
            &mut SystemRng,
        )?;
        self.state.insert(&undo.record(), now).await?;
        let mut values = self.common_values(&account, client);
        values.insert("new_email", Value::from(new_email.as_str()));
        values.insert("changed_at", Value::from(email_time(now)));
        let link = self.config.undo_email_link(undo.token.expose(), old);
        values.insert("undo_link", Value::from(link));
        values.insert(
            "valid_days",
            Value::from(undo_ttl.as_secs().div_ceil(86_400)),
        );
        let kind = MessageKind::EmailChanged;
        let notice = self.render_message("email_changed", kind, old, &values)?;
        swapped(
            self.accounts
                .replace_email(&account.id, account.credential_version, new_email)
                .await,
            Error::AddressUnavailable,
        )?;
        let id = &account.id;
        self.notify_and_revoke_resets(id, &notice, now).await;
        let changed = SecurityEventKind::EmailChanged;
        after_the_change("record", self.record(id, changed, now, client, |e| e).await);
        Ok(EmailChanged {
            user: account.id,
            email: new_email.clone(),
        })
    }

    /// The old address's owner undoes a change it did not make (the form post of the page the
    /// link opened; `old_email` is the link's `email` value). Whatever was done to the account
    /// since: the old address is restored; the password is replaced by a random one, ending
    /// every session in the same step (whoever made the change knows the password); every
    /// outstanding link of the account dies; and a reset link goes to the restored address, so
    /// the owner sets a new password and is back in.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidLink`] for a link that is invalid, expired or used;
    /// [`Error::AddressUnavailable`] if another account took the old address meanwhile;
    /// infrastructure errors.
    pub async fn undo_email_change(
        &self,
        token: &str,
        old_email: &Email,
        client: &ClientInfo,
    ) -> Result<EmailChangeUndone> {
        let now = self.clock.now();
        let purpose = Purpose::EMAIL_CHANGE_UNDO;
        let bind = |a: &Account| self.undo_binding(&a.id, old_email);
        let account = self
            .take_bound(token, &purpose, bind, now)
            .await?
            .ok_or(Error::InvalidLink)?;
        let id = account.id.clone();
        let mut unusable = [0_u8; 32];
        SystemRng
            .try_fill_bytes(&mut unusable)
            .map_err(|_| Error::Randomness)?;
        let unusable = Password::new(
            unusable
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>(),
        );
        let locked = self.hasher.hash(unusable, SystemRng).await?;
        let mut session_epoch = None;
        for _ in 0..UNDO_RETRIES {
            let now_account = self.enabled_account(&id).await?;
            let version = now_account.credential_version;
            let restored = match self.accounts.replace_email(&id, version, old_email).await {
                Ok(Some(v)) => v,
                Ok(None) => return Err(Error::UnknownAccount),
                Err(e) if e.is_conflict() => {
                    let holder = self.accounts.find_by_email(old_email).await?;
                    if holder.is_some_and(|h| h.id != id) {
                        return Err(Error::AddressUnavailable);
                    }
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            let ended = self
                .accounts
                .replace_password_hash(&id, restored, &locked, true)
                .await;
            match ended {
                Ok(Some(replaced)) => {
                    session_epoch = Some(replaced.session_epoch);
                    break;
                }
                Ok(None) => return Err(Error::UnknownAccount),
                Err(e) if e.is_conflict() => continue,
                Err(e) => return Err(e.into()),
            }
        }
        let session_epoch = session_epoch.ok_or(Error::Store(
            acctsec_core::StoreError::conflict("the account kept changing during the undo"),
        ))?;
        after_the_change(
            "revoke every link",
            self.state.revoke_user(&id).await.map_err(Error::from),
        );
        after_the_change(
            "send a reset link",
            self.queue_reset(old_email, client, Actor::Owner, false, now)
                .await
                .map(|_| ()),
        );
        for kind in [
            SecurityEventKind::EmailChangeUndone,
            SecurityEventKind::SessionsEnded,
        ] {
            let actor = if kind == SecurityEventKind::SessionsEnded {
                Actor::System
            } else {
                Actor::Owner
            };
            let event = self
                .record(&id, kind, now, client, |e| e.with_actor(actor))
                .await;
            after_the_change("record", event);
        }
        Ok(EmailChangeUndone {
            user: id,
            session_epoch,
        })
    }
}
