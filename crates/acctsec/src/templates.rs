//! [`Templates`]: the emails the flows send, as text and HTML, from built-in templates a host
//! can replace (to translate them or match its brand).

use std::collections::BTreeMap;
use std::fmt;

use minijinja::{Environment, Value};

use crate::{Error, Result};

/// The names of the templates a host may replace, each with its built-in source.
const BUILT_IN: [(&str, &str); 12] = [
    ("reset.subject", include_str!("templates/reset.subject")),
    ("reset.txt", include_str!("templates/reset.txt")),
    ("reset.html", include_str!("templates/reset.html")),
    ("changed.subject", include_str!("templates/changed.subject")),
    ("changed.txt", include_str!("templates/changed.txt")),
    ("changed.html", include_str!("templates/changed.html")),
    (
        "email_confirm.subject",
        include_str!("templates/email_confirm.subject"),
    ),
    (
        "email_confirm.txt",
        include_str!("templates/email_confirm.txt"),
    ),
    (
        "email_confirm.html",
        include_str!("templates/email_confirm.html"),
    ),
    (
        "email_changed.subject",
        include_str!("templates/email_changed.subject"),
    ),
    (
        "email_changed.txt",
        include_str!("templates/email_changed.txt"),
    ),
    (
        "email_changed.html",
        include_str!("templates/email_changed.html"),
    ),
];

/// The email templates ([MiniJinja](minijinja) syntax). `.html` templates escape every value
/// automatically; `.subject` and `.txt` ones are plain text (a subject is refused if it spans
/// lines). Each email has three: `reset.subject`, `reset.txt`, `reset.html` for the reset link
/// (values `app_name`, `email`, `requested_at`, `place`, `device`, `valid_minutes`, `link`,
/// `revoke_link`, `phrase`), and `changed.*` for the "your password was changed" notice
/// (`app_name`, `email`, `changed_at`, `place`, `device`, `sessions_ended`, `not_me_link`,
/// `phrase`); `email_confirm.*` to the new address of an email change (`app_name`, `new_email`,
/// `requested_at`, `place`, `device`, `valid_minutes`, `link`, `phrase`) and `email_changed.*` to
/// the old one once it is done (`app_name`, `email`, `new_email`, `changed_at`, `place`,
/// `device`, `valid_days`, `undo_link`, `phrase`). `phrase` is the owner's anti-phishing phrase,
/// when they chose one.
///
/// ```
/// use acctsec::Templates;
///
/// let templates = Templates::built_in()
///     .with_template("reset.subject", "Réinitialisez votre mot de passe {{ app_name }}")?;
/// # Ok::<(), acctsec::Error>(())
/// ```
#[derive(Clone)]
pub struct Templates {
    env: Environment<'static>,
}

impl Templates {
    /// The built-in English templates.
    #[must_use]
    pub fn built_in() -> Self {
        let mut env = Environment::new();
        for (name, source) in BUILT_IN {
            // The built-in sources are tested to parse; a failure here could only leave the
            // template missing, which rendering reports.
            let _ = env.add_template(name, source);
        }
        Self { env }
    }

    /// Replaces one template.
    ///
    /// # Errors
    ///
    /// [`Error::Template`] if `name` is not one of the templates, or `source` does not parse.
    pub fn with_template(mut self, name: &str, source: &str) -> Result<Self> {
        let (name, _) = BUILT_IN
            .iter()
            .find(|(known, _)| *known == name)
            .ok_or(Error::UnknownTemplate)?;
        self.env
            .add_template_owned(*name, source.to_owned())
            .map_err(Error::Template)?;
        Ok(self)
    }

    /// Renders one email's subject, text and HTML from `values`.
    pub(crate) fn render(
        &self,
        email: &str,
        values: &BTreeMap<&'static str, Value>,
    ) -> Result<Rendered> {
        let context = Value::from_object(values.clone());
        let render = |part: &str| -> Result<String> {
            self.env
                .get_template(&format!("{email}.{part}"))
                .and_then(|t| t.render(&context))
                .map_err(Error::Template)
        };
        Ok(Rendered {
            subject: render("subject")?.trim().to_owned(),
            text: render("txt")?,
            html: render("html")?,
        })
    }
}

impl fmt::Debug for Templates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Templates(..)")
    }
}

/// One rendered email.
pub(crate) struct Rendered {
    pub(crate) subject: String,
    pub(crate) text: String,
    pub(crate) html: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_templates_parse_and_escape_html() {
        let t = Templates::built_in();
        let mut values = BTreeMap::new();
        values.insert("app_name", Value::from("Acme <b>"));
        values.insert("email", Value::from("ana@example.com"));
        values.insert("link", Value::from("https://example.com/r?token=abc"));
        let r = t.render("reset", &values).unwrap();
        assert!(r.html.contains("Acme &lt;b&gt;"), "{}", r.html);
        assert!(r.text.contains("Acme <b>"));
        assert!(r.text.contains("https://example.com/r?token=abc"));
        assert_eq!(r.subject, "Reset your Acme <b> password");
        for (name, _) in BUILT_IN {
            assert!(t.env.get_template(name).is_ok(), "{name}");
        }
        assert!(matches!(
            Templates::built_in().with_template("nope.txt", "x"),
            Err(Error::UnknownTemplate)
        ));
        assert!(matches!(
            Templates::built_in().with_template("reset.txt", "{% if %}"),
            Err(Error::Template(_))
        ));
    }
}
