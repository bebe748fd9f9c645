//! Configuration: defaults < TOML file < `MINIMALL_*` environment < command-line flags.
//! Every setting is checked at start-up; a wrong one stops the server with a message naming it.

use std::net::SocketAddr;
use std::path::Path;

use serde::Deserialize;

/// A secret that never shows in `Debug` output or logs.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address to listen on.
    pub bind: String,
    /// `sqlite://path` or `postgres://…`.
    pub database_url: String,
    /// Password of the first owner `admin`, used only when that account is created (first start), and of
    /// the demo console users of a demo database; generated when unset.
    pub admin_password: Option<Secret>,
    /// Sandbox mode: sandbox login codes and the sandbox payment provider are accepted. On with `--demo`.
    /// Refused on a database created as a live shop (without sandbox mode).
    pub sandbox: bool,
    /// Reverse proxies (addresses or CIDR ranges) whose `X-Forwarded-For` names the client; from any
    /// other peer the header is ignored.
    pub trusted_proxies: Vec<String>,
    pub log_format: LogFormat,
    /// Lifetime of console and buyer tokens.
    pub token_ttl_hours: i64,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Redis for sharing state between instances (flash-sale gate); optional.
    pub redis_url: Option<String>,
    /// Longest wait for one Redis call; a call that takes longer counts as a failure.
    pub redis_timeout_ms: u64,
    /// After a Redis failure, calls are refused at once for this long while the connection is re-established
    /// in the background (it is tried again after each such period until it answers).
    pub redis_cooldown_ms: u64,
    /// Products `--demo` seeds into an empty catalog.
    pub demo_products: usize,
    /// Directory for uploaded images.
    pub uploads_dir: String,
    /// Mark session and CSRF cookies `Secure` (set when the server is reached over HTTPS).
    pub secure_cookies: bool,
    /// Hosts (`cdn.example.com`, optionally with `:port`) whose https URLs products may use as images,
    /// besides the shop's own uploads; the pages' Content-Security-Policy allows images from them.
    pub cdn_hosts: Vec<String>,
    pub jobs: JobsConfig,
    pub login: LoginConfig,
    pub wechat: WechatConfig,
    pub sms: SmsConfig,
    pub orders: OrdersConfig,
    pub flash: FlashConfig,
    /// WeChat Pay API v3 (mini-program payments); off when absent.
    pub wechat_pay: Option<WechatPaySettings>,
}

/// WeChat Pay merchant settings. Keys are PEM text, or `@/path/to/file.pem` to read a file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WechatPaySettings {
    pub mchid: String,
    pub appid: String,
    pub merchant_serial_no: String,
    pub merchant_private_key: Secret,
    pub api_v3_key: Secret,
    pub platform_serial_no: String,
    pub platform_public_key: String,
    #[serde(default = "wechat_base")]
    pub base_url: String,
    /// Public HTTPS URL of `/api/v1/payments/wechat/notify`.
    pub notify_url: String,
}

fn wechat_base() -> String {
    "https://api.mch.weixin.qq.com".into()
}

impl WechatPaySettings {
    /// Resolve `@file` references and build the client configuration.
    pub fn resolve(&self) -> Result<crate::payments::wechat::WechatPayConfig, ConfigError> {
        let read = |name: &str, v: &str| -> Result<String, ConfigError> {
            match v.strip_prefix('@') {
                Some(path) => std::fs::read_to_string(path).map_err(|e| err(name, format!("cannot read {path}: {e}"))),
                None => Ok(v.to_string()),
            }
        };
        let cfg = crate::payments::wechat::WechatPayConfig {
            mchid: self.mchid.clone(),
            appid: self.appid.clone(),
            merchant_serial_no: self.merchant_serial_no.clone(),
            merchant_private_key_pem: read("wechat_pay.merchant_private_key", self.merchant_private_key.expose())?,
            api_v3_key: self.api_v3_key.expose().to_string(),
            platform_serial_no: self.platform_serial_no.clone(),
            platform_public_key_pem: read("wechat_pay.platform_public_key", &self.platform_public_key)?,
            base_url: self.base_url.clone(),
            notify_url: self.notify_url.clone(),
        };
        cfg.validate().map_err(|e| err("wechat_pay", e.to_string()))?;
        Ok(cfg)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OrdersConfig {
    /// Unpaid orders are cancelled after this long, returning stock, coupons and points.
    pub unpaid_timeout_secs: i64,
    /// Shipped orders are received automatically after this many days.
    pub auto_receive_days: i64,
    /// After-sales window after receipt; the order completes when it closes.
    pub aftersale_days: i64,
    /// Payment fee in per mille of the amount (6 = 0.6 %).
    pub fee_per_mille: u32,
    /// Give coupons back when an order is refunded in full.
    pub return_coupons_on_full_refund: bool,
    /// Secret the sandbox provider signs notifications with. Unset (the default), each installation uses
    /// the random secret made when its database was created.
    pub sandbox_secret: Option<Secret>,
    /// Delay before the sandbox delivers a notification.
    pub sandbox_notify_delay_ms: i64,
    /// How many times the sandbox delivers each notification (real providers repeat them).
    pub sandbox_duplicates: u32,
}

impl Default for OrdersConfig {
    fn default() -> Self {
        OrdersConfig {
            unpaid_timeout_secs: 1800,
            auto_receive_days: 10,
            aftersale_days: 7,
            fee_per_mille: 6,
            return_coupons_on_full_refund: true,
            sandbox_secret: None,
            sandbox_notify_delay_ms: 300,
            sandbox_duplicates: 2,
        }
    }
}

impl OrdersConfig {
    /// The sandbox provider's signing secret (set at start-up from the installation when not configured).
    pub fn sandbox_secret(&self) -> Option<&str> {
        self.sandbox_secret.as_ref().map(Secret::expose).filter(|s| !s.is_empty())
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FlashConfig {
    /// Default time a flash order may stay unpaid before its units go back to the sale.
    pub unpaid_timeout_secs: i64,
    /// Most purchases written in one transaction.
    pub max_batch: usize,
    /// Redis reservations older than this without an order are given back by reconciliation.
    pub reclaim_after_secs: i64,
}

impl Default for FlashConfig {
    fn default() -> Self {
        FlashConfig { unpaid_timeout_secs: 300, max_batch: 1024, reclaim_after_secs: 30 }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JobsConfig {
    /// Run background workers in this process.
    pub enabled: bool,
    pub workers: usize,
    pub poll_interval_ms: u64,
    /// How long a claimed job stays leased before another worker may take it over.
    pub lease_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoginConfig {
    /// Failed console logins for one account from one source address before that pair must wait.
    #[serde(alias = "max_failures_per_user")]
    pub max_failures: i64,
    /// Failed console logins from one source address, on any accounts, before that address must wait.
    pub max_failures_per_ip: i64,
    /// The first wait; each further failure doubles it.
    pub lock_secs: i64,
    /// The longest wait.
    pub max_lock_secs: i64,
    /// How long a failure counts (a successful login forgets that account's failures from its address).
    pub window_secs: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WechatConfig {
    pub appid: Option<String>,
    pub secret: Option<Secret>,
    /// The code2session endpoint (changed only to point at a stand-in).
    pub code2session_url: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmsConfig {
    /// `sandbox` records messages without sending them; `disabled` turns SMS login off.
    pub provider: String,
    pub code_ttl_secs: i64,
    pub resend_interval_secs: i64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: "127.0.0.1:8080".into(),
            database_url: "sqlite://minimall.db".into(),
            admin_password: None,
            sandbox: false,
            trusted_proxies: Vec::new(),
            log_format: LogFormat::Text,
            token_ttl_hours: 24 * 7,
            max_body_bytes: 1024 * 1024,
            redis_url: None,
            redis_timeout_ms: 1000,
            redis_cooldown_ms: 1000,
            uploads_dir: "data/uploads".into(),
            secure_cookies: false,
            cdn_hosts: Vec::new(),
            demo_products: 1200,
            jobs: JobsConfig::default(),
            login: LoginConfig::default(),
            wechat: WechatConfig::default(),
            sms: SmsConfig::default(),
            orders: OrdersConfig::default(),
            flash: FlashConfig::default(),
            wechat_pay: None,
        }
    }
}

impl Default for JobsConfig {
    fn default() -> Self {
        JobsConfig { enabled: true, workers: 2, poll_interval_ms: 500, lease_secs: 60 }
    }
}

impl Default for LoginConfig {
    fn default() -> Self {
        LoginConfig {
            max_failures: 5,
            max_failures_per_ip: 50,
            lock_secs: 60,
            max_lock_secs: 3600,
            window_secs: 86_400,
        }
    }
}

impl Default for WechatConfig {
    fn default() -> Self {
        WechatConfig {
            appid: None,
            secret: None,
            code2session_url: "https://api.weixin.qq.com/sns/jscode2session".into(),
        }
    }
}

impl Default for SmsConfig {
    fn default() -> Self {
        SmsConfig { provider: "sandbox".into(), code_ttl_secs: 300, resend_interval_secs: 60 }
    }
}

/// A setting that could not be accepted, with the name the user wrote it under.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {name}: {message}")]
pub struct ConfigError {
    pub name: String,
    pub message: String,
}

fn err(name: &str, message: impl Into<String>) -> ConfigError {
    ConfigError { name: name.into(), message: message.into() }
}

/// Flags from the command line that override everything else.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub bind: Option<String>,
    pub database_url: Option<String>,
    pub sandbox: Option<bool>,
}

impl Config {
    /// Load from an optional TOML file, then the environment, then flags; then validate.
    pub fn load(file: Option<&Path>, env: &[(String, String)], flags: &Overrides) -> Result<Config, ConfigError> {
        let mut cfg = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| err("--config", format!("cannot read {}: {e}", path.display())))?;
                toml::from_str::<Config>(&text).map_err(|e| {
                    err(&format!("{}", path.display()), e.message().to_string() + &span_hint(&text, e.span()))
                })?
            }
            None => Config::default(),
        };
        cfg.apply_env(env)?;
        cfg.cdn_hosts = cfg.cdn_hosts.iter().map(|h| h.trim().to_ascii_lowercase()).collect();
        if let Some(b) = &flags.bind {
            cfg.bind = b.clone();
        }
        if let Some(u) = &flags.database_url {
            cfg.database_url = u.clone();
        }
        if let Some(s) = flags.sandbox {
            cfg.sandbox = cfg.sandbox || s;
        }
        cfg.validate()?;
        Ok(cfg)
    }

    fn apply_env(&mut self, env: &[(String, String)]) -> Result<(), ConfigError> {
        for (k, v) in env {
            let v = v.trim();
            match k.as_str() {
                "MINIMALL_BIND" => self.bind = v.into(),
                "MINIMALL_DATABASE_URL" => self.database_url = v.into(),
                "MINIMALL_ADMIN_PASSWORD" if !v.is_empty() => self.admin_password = Some(Secret::new(v)),
                "MINIMALL_SANDBOX" => self.sandbox = parse_bool(k, v)?,
                "MINIMALL_TRUSTED_PROXIES" => {
                    self.trusted_proxies =
                        v.split(',').map(str::trim).filter(|p| !p.is_empty()).map(str::to_string).collect()
                }
                "MINIMALL_LOG_FORMAT" => {
                    self.log_format = match v {
                        "text" => LogFormat::Text,
                        "json" => LogFormat::Json,
                        _ => return Err(err(k, format!("'{v}' is not one of text, json"))),
                    }
                }
                "MINIMALL_TOKEN_TTL_HOURS" => self.token_ttl_hours = parse_num(k, v)?,
                "MINIMALL_MAX_BODY_BYTES" => self.max_body_bytes = parse_num(k, v)?,
                "MINIMALL_REDIS_URL" if !v.is_empty() => self.redis_url = Some(v.into()),
                "MINIMALL_REDIS_TIMEOUT_MS" => self.redis_timeout_ms = parse_num(k, v)?,
                "MINIMALL_REDIS_COOLDOWN_MS" => self.redis_cooldown_ms = parse_num(k, v)?,
                "MINIMALL_UPLOADS_DIR" if !v.is_empty() => self.uploads_dir = v.into(),
                "MINIMALL_SECURE_COOKIES" => self.secure_cookies = parse_bool(k, v)?,
                "MINIMALL_CDN_HOSTS" => {
                    self.cdn_hosts = v.split(',').map(str::trim).filter(|h| !h.is_empty()).map(String::from).collect()
                }
                "MINIMALL_JOBS_ENABLED" => self.jobs.enabled = parse_bool(k, v)?,
                "MINIMALL_JOBS_WORKERS" => self.jobs.workers = parse_num(k, v)?,
                "MINIMALL_JOBS_LEASE_SECS" => self.jobs.lease_secs = parse_num(k, v)?,
                "MINIMALL_WECHAT_APPID" if !v.is_empty() => self.wechat.appid = Some(v.into()),
                "MINIMALL_WECHAT_SECRET" if !v.is_empty() => self.wechat.secret = Some(Secret::new(v)),
                "MINIMALL_WECHAT_CODE2SESSION_URL" => self.wechat.code2session_url = v.into(),
                "MINIMALL_SMS_PROVIDER" => self.sms.provider = v.into(),
                "MINIMALL_UNPAID_TIMEOUT_SECS" => self.orders.unpaid_timeout_secs = parse_num(k, v)?,
                "MINIMALL_FLASH_UNPAID_TIMEOUT_SECS" => self.flash.unpaid_timeout_secs = parse_num(k, v)?,
                _ => {}
            }
        }
        Ok(())
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        self.bind_addr()?;
        let u = &self.database_url;
        if !(u.starts_with("sqlite://")
            || u.starts_with("sqlite:")
            || u.starts_with("postgres://")
            || u.starts_with("postgresql://"))
        {
            return Err(err(
                "database_url (MINIMALL_DATABASE_URL)",
                format!("'{u}' must start with sqlite:// or postgres://"),
            ));
        }
        if let Some(p) = &self.admin_password {
            minimall_core::validate::Password::parse("admin_password", p.expose()).map_err(|e| {
                err(
                    "admin_password (MINIMALL_ADMIN_PASSWORD)",
                    crate::messages::of(crate::web::i18n::Lang::En, &e.reason),
                )
            })?;
        }
        if !(1..=24 * 90).contains(&self.token_ttl_hours) {
            return Err(err("token_ttl_hours", "must be between 1 and 2160"));
        }
        if !(1024..=256 * 1024 * 1024).contains(&self.max_body_bytes) {
            return Err(err("max_body_bytes", "must be between 1024 and 268435456"));
        }
        if let Some(r) = &self.redis_url {
            if !(r.starts_with("redis://") || r.starts_with("rediss://")) {
                return Err(err("redis_url (MINIMALL_REDIS_URL)", format!("'{r}' must start with redis://")));
            }
        }
        if !(10..=10_000).contains(&self.redis_timeout_ms) {
            return Err(err("redis_timeout_ms (MINIMALL_REDIS_TIMEOUT_MS)", "must be between 10 and 10000"));
        }
        if !(100..=60_000).contains(&self.redis_cooldown_ms) {
            return Err(err("redis_cooldown_ms (MINIMALL_REDIS_COOLDOWN_MS)", "must be between 100 and 60000"));
        }
        for h in &self.cdn_hosts {
            match minimall_core::catalog::image::parse_cdn_host(h) {
                Ok(n) if n == *h => {}
                Ok(_) => {
                    return Err(err("cdn_hosts (MINIMALL_CDN_HOSTS)", format!("'{h}' must be written in lower case")))
                }
                Err(m) => return Err(err("cdn_hosts (MINIMALL_CDN_HOSTS)", m)),
            }
        }
        if self.jobs.workers == 0 || self.jobs.workers > 64 {
            return Err(err("jobs.workers", "must be between 1 and 64"));
        }
        if self.jobs.lease_secs == 0 {
            return Err(err("jobs.lease_secs", "must be at least 1"));
        }
        if self.jobs.poll_interval_ms == 0 {
            return Err(err("jobs.poll_interval_ms", "must be at least 1"));
        }
        let l = &self.login;
        if l.max_failures < 1 || l.max_failures_per_ip < 1 || l.window_secs < 1 || l.lock_secs < 1 {
            return Err(err(
                "login",
                "max_failures, max_failures_per_ip, lock_secs and window_secs must be at least 1",
            ));
        }
        if l.max_lock_secs < l.lock_secs || l.max_lock_secs > 7 * 86_400 {
            return Err(err("login.max_lock_secs", "must be between lock_secs and 604800"));
        }
        for p in &self.trusted_proxies {
            crate::http::client_addr::ProxyNet::parse(p)
                .map_err(|m| err("trusted_proxies (MINIMALL_TRUSTED_PROXIES)", format!("'{p}': {m}")))?;
        }
        if !self.wechat.code2session_url.starts_with("http://") && !self.wechat.code2session_url.starts_with("https://")
        {
            return Err(err("wechat.code2session_url", "must be an http(s) URL"));
        }
        if self.wechat.appid.is_some() != self.wechat.secret.is_some() {
            return Err(err("wechat.appid / wechat.secret", "set both or neither"));
        }
        if !["sandbox", "disabled"].contains(&self.sms.provider.as_str()) {
            return Err(err(
                "sms.provider (MINIMALL_SMS_PROVIDER)",
                format!("'{}' is not one of sandbox, disabled", self.sms.provider),
            ));
        }
        if !(1..=7 * 86_400).contains(&self.orders.unpaid_timeout_secs) {
            return Err(err("orders.unpaid_timeout_secs", "must be between 1 and 604800"));
        }
        if !(1..=60).contains(&self.orders.auto_receive_days) || !(0..=60).contains(&self.orders.aftersale_days) {
            return Err(err("orders", "auto_receive_days must be 1–60 and aftersale_days 0–60"));
        }
        if self.orders.fee_per_mille > 100 || self.orders.sandbox_duplicates == 0 || self.orders.sandbox_duplicates > 10
        {
            return Err(err("orders", "fee_per_mille must be at most 100 and sandbox_duplicates 1–10"));
        }
        if !(1..=86_400).contains(&self.flash.unpaid_timeout_secs) {
            return Err(err("flash.unpaid_timeout_secs", "must be between 1 and 86400"));
        }
        if !(1..=crate::flash::MAX_BATCH).contains(&self.flash.max_batch) {
            return Err(err("flash.max_batch", format!("must be between 1 and {}", crate::flash::MAX_BATCH)));
        }
        if self.flash.reclaim_after_secs < 1 {
            return Err(err("flash.reclaim_after_secs", "must be at least 1"));
        }
        if let Some(w) = &self.wechat_pay {
            w.resolve()?;
        }
        if self.sms.code_ttl_secs < 30 || self.sms.resend_interval_secs < 0 {
            return Err(err("sms", "code_ttl_secs must be at least 30 and resend_interval_secs not negative"));
        }
        Ok(())
    }

    pub fn bind_addr(&self) -> Result<SocketAddr, ConfigError> {
        self.bind.parse().map_err(|_| {
            err("bind (MINIMALL_BIND)", format!("'{}' is not an address such as 127.0.0.1:8080", self.bind))
        })
    }
}

fn parse_bool(name: &str, v: &str) -> Result<bool, ConfigError> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" | "" => Ok(false),
        _ => Err(err(name, format!("'{v}' is not true or false"))),
    }
}

fn parse_num<T: std::str::FromStr>(name: &str, v: &str) -> Result<T, ConfigError> {
    v.parse().map_err(|_| err(name, format!("'{v}' is not a valid number")))
}

fn span_hint(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    match span {
        Some(s) => {
            let line = text[..s.start.min(text.len())].matches('\n').count() + 1;
            format!(" (line {line})")
        }
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults() {
        let c = Config::load(None, &[], &Overrides::default()).unwrap();
        assert_eq!(c.bind, "127.0.0.1:8080");
        assert_eq!(c.database_url, "sqlite://minimall.db");
        assert!(!c.sandbox);
    }

    #[test]
    fn layers_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("m.toml");
        std::fs::write(&f, "bind = \"127.0.0.1:9000\"\ndatabase_url = \"sqlite://file.db\"\n[jobs]\nworkers = 3\n")
            .unwrap();
        let c = Config::load(Some(&f), &env(&[("MINIMALL_DATABASE_URL", "sqlite://env.db")]), &Overrides::default())
            .unwrap();
        assert_eq!(c.bind, "127.0.0.1:9000");
        assert_eq!(c.database_url, "sqlite://env.db");
        assert_eq!(c.jobs.workers, 3);
        let flags = Overrides { bind: Some("127.0.0.1:9100".into()), ..Default::default() };
        let c = Config::load(Some(&f), &env(&[("MINIMALL_BIND", "127.0.0.1:9050")]), &flags).unwrap();
        assert_eq!(c.bind, "127.0.0.1:9100");
    }

    #[test]
    fn wrong_settings_are_named() {
        let e = Config::load(None, &env(&[("MINIMALL_BIND", "nowhere")]), &Overrides::default()).unwrap_err();
        assert!(e.to_string().contains("MINIMALL_BIND"), "{e}");
        let e = Config::load(None, &env(&[("MINIMALL_DATABASE_URL", "mysql://x")]), &Overrides::default()).unwrap_err();
        assert!(e.to_string().contains("MINIMALL_DATABASE_URL"), "{e}");
        let e = Config::load(None, &env(&[("MINIMALL_SANDBOX", "maybe")]), &Overrides::default()).unwrap_err();
        assert!(e.to_string().contains("MINIMALL_SANDBOX"), "{e}");
        let e = Config::load(None, &env(&[("MINIMALL_ADMIN_PASSWORD", "123")]), &Overrides::default()).unwrap_err();
        assert!(e.to_string().contains("MINIMALL_ADMIN_PASSWORD"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("m.toml");
        std::fs::write(&f, "bnid = \"x\"\n").unwrap();
        let e = Config::load(Some(&f), &[], &Overrides::default()).unwrap_err();
        assert!(e.to_string().contains("bnid"), "{e}");
    }

    #[test]
    fn trusted_proxies_and_login_limits_are_checked() {
        let c =
            Config::load(None, &env(&[("MINIMALL_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1")]), &Overrides::default())
                .unwrap();
        assert_eq!(c.trusted_proxies, ["10.0.0.0/8", "127.0.0.1"]);
        assert!(c.orders.sandbox_secret().is_none(), "no shared default sandbox secret");
        let e = Config::load(None, &env(&[("MINIMALL_TRUSTED_PROXIES", "proxy.internal")]), &Overrides::default())
            .unwrap_err();
        assert!(e.to_string().contains("MINIMALL_TRUSTED_PROXIES"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("m.toml");
        std::fs::write(&f, "[login]\nmax_failures_per_user = 3\nlock_secs = 30\n").unwrap();
        let c = Config::load(Some(&f), &[], &Overrides::default()).unwrap();
        assert_eq!((c.login.max_failures, c.login.lock_secs), (3, 30));
        std::fs::write(&f, "[login]\nlock_secs = 30\nmax_lock_secs = 10\n").unwrap();
        let e = Config::load(Some(&f), &[], &Overrides::default()).unwrap_err();
        assert!(e.to_string().contains("max_lock_secs"), "{e}");
    }

    #[test]
    fn secrets_do_not_print() {
        let c =
            Config::load(None, &env(&[("MINIMALL_ADMIN_PASSWORD", "a-long-secret")]), &Overrides::default()).unwrap();
        assert!(!format!("{c:?}").contains("a-long-secret"));
    }
}
