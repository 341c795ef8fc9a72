//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "anbiao",
    version,
    about = "安标：工贸企业安全生产标准化管理系统"
)]
pub struct Cli {
    /// Database URL: a SQLite file (default anbiao.db in the working directory; the demo's
    /// own anbiao-demo.db for `demo`) or postgres://…
    #[arg(
        long,
        global = true,
        env = "DATABASE_URL",
        default_value = "sqlite://anbiao.db"
    )]
    pub db: String,
    /// Directory whose files replace those built into the binary, each one it holds:
    /// regions.toml, industries.toml, size_rules.toml, grading.toml, quality.toml,
    /// inspection.toml, violations.toml, checklist.toml, major_hazards.toml, authority.toml,
    /// risk.toml, and a programmes/ folder. It must exist.
    #[arg(long, global = true, env = "ANBIAO_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Creates or reuses a demo database with a synthetic Nantong, prints one login per role, serves.
    Demo {
        #[command(flatten)]
        serve: ServeArgs,
        /// Enterprises to generate when the database has none.
        #[arg(long, default_value_t = 12_000)]
        enterprises: usize,
        #[arg(long, default_value_t = 2018)]
        seed: u64,
    },
    /// Serves the web application.
    Serve {
        #[command(flatten)]
        serve: ServeArgs,
    },
    /// Creates the database if needed and applies the migrations. On PostgreSQL, run it with
    /// the owner's URL; `--app-role` then lets the server's own login read and write the
    /// tables but only append to the audit log (serve with that login's URL).
    Migrate {
        /// The PostgreSQL role `serve` connects as.
        #[arg(long)]
        app_role: Option<String>,
    },
    /// Generates synthetic enterprises, reproducibly.
    Seed {
        #[arg(long, default_value_t = 12_000)]
        enterprises: usize,
        #[arg(long, default_value_t = 2018)]
        seed: u64,
    },
    /// Imports data from a file.
    Import {
        #[command(subcommand)]
        what: ImportWhat,
    },
    /// Exports data to a file.
    Export {
        #[command(subcommand)]
        what: ExportWhat,
    },
    /// Manages user accounts.
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// Checks the audit log's hash chain, or prints its head.
    Audit {
        #[command(subcommand)]
        action: AuditAction,
    },
    /// Issues, lists and revokes API tokens.
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Loads and lists scoring sheets (评分细则).
    Standards {
        #[command(subcommand)]
        action: StandardsAction,
    },
    /// Shows the grading rule sets and explains the rule behind a decision.
    Rules {
        #[command(subcommand)]
        action: RulesAction,
    },
    /// Risk assessment (风险分级) by the rules in force.
    Risk {
        #[command(subcommand)]
        action: RiskAction,
    },
    /// Runs the daily background jobs now (what `serve` does each hour): records certificate
    /// expiries and delivers reminders. Once per business day, whichever instance comes first.
    Jobs {
        /// The business day to run for (default: today, China time).
        #[arg(long, value_parser = parse_business_date)]
        date: Option<time::Date>,
    },
    /// Backs the database up to a file: SQLite online backup, or pg_dump's custom format.
    Backup {
        #[arg(short = 'o', long = "output")]
        output: PathBuf,
    },
    /// Restores a backup made by `anbiao backup` into the database named by --db, then checks
    /// its audit chain.
    Restore {
        #[arg(short = 'i', long = "input")]
        input: PathBuf,
        /// Replace a database that already holds data.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum StandardsAction {
    /// Loads an official scoring sheet from .xlsx/.xls/.csv (columns 考评类目, 考评内容, 分值,
    /// optionally 类目编号, 编号, 评分方式, 否决项).
    Import {
        file: PathBuf,
        /// Sheet id, e.g. jx.2011 (机械行业评定标准).
        #[arg(long)]
        id: String,
        #[arg(long)]
        version: u32,
        #[arg(long)]
        title: String,
        /// Grades it assesses: one,two,three or small_micro.
        #[arg(long)]
        grades: String,
        /// The element tree it is written against.
        #[arg(long, default_value = "GB/T 33000-2016")]
        standard: String,
        /// YYYY-MM-DD.
        #[arg(long)]
        effective_from: String,
        /// Industry code (YJ, YS, JC, JX, QG, FZ, YC, SM).
        #[arg(long)]
        industry: Option<String>,
        /// The document the sheet comes from.
        #[arg(long, default_value = "")]
        source: String,
    },
    /// Lists the loaded sheets.
    List,
    /// Loads the full item list of a major-hazard standard (重大事故隐患判定标准) from
    /// .xlsx/.xls/.csv (columns 类别, 行业或领域, 序号, 判定内容), checked against the
    /// standard's structure (items per class and area); replaces an earlier import.
    ImportMajor {
        file: PathBuf,
        /// The standard's id: major_hazard.2017 or major_hazard.2023.
        #[arg(long)]
        standard: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum RiskAction {
    /// Assesses one risk and prints one JSON object: {"method", "score", "band", "level",
    /// "colour", "rule"} with the level's key and the decision in words. Exits 2 with the reason
    /// on an unknown method, factor or value.
    Assess {
        /// lec, ls, or a method of the risk rules in --data-dir.
        #[arg(long)]
        method: String,
        /// A factor and its value, e.g. L=3; one per factor of the method.
        #[arg(long = "factor", value_name = "KEY=VALUE")]
        factors: Vec<String>,
        /// A condition that makes the risk 重大 whatever its score, e.g. confined_space.
        #[arg(long = "direct", value_name = "KEY")]
        direct: Vec<String>,
        /// The day whose rules apply, YYYY-MM-DD (default: today, China time).
        #[arg(long, value_parser = parse_business_date)]
        on: Option<time::Date>,
    },
}

#[derive(Subcommand, Debug)]
pub enum RulesAction {
    /// Lists the grading rule sets with their effective dates.
    List,
    /// Explains a decision in words: a case event as CASE.SEQ (e.g. 12.5), or a rule reference
    /// such as grading.2014@1#threshold.three.
    Explain { decision: String },
}

#[derive(Subcommand, Debug)]
pub enum AuditAction {
    /// Walks the whole chain. Exit 0 when intact; 3 naming the first bad entry otherwise.
    Verify {
        /// A head printed earlier by `anbiao audit head`: it must still be in the chain.
        #[arg(long)]
        head: Option<String>,
        /// The file `serve --audit-head-file` appends to: every line's key must verify and its
        /// head still be in the chain.
        #[arg(long, requires = "key_file")]
        head_file: Option<std::path::PathBuf>,
        /// The secret the head file's lines are keyed with.
        #[arg(long, requires = "head_file")]
        key_file: Option<std::path::PathBuf>,
    },
    /// Prints the number of entries and the hash of the last, to keep outside the database.
    Head,
}

#[derive(Subcommand, Debug)]
pub enum TokenAction {
    /// Issues a token for a user and prints it once.
    Issue {
        #[arg(long)]
        user: String,
        /// read or write.
        #[arg(long, default_value = "read")]
        scope: String,
        #[arg(long, default_value_t = 30)]
        days: i64,
        #[arg(long, default_value = "命令行签发")]
        name: String,
        /// Limit the token to one region (code or name).
        #[arg(long)]
        region: Option<String>,
    },
    /// Revokes a token by its number.
    Revoke { id: i64 },
    /// Lists tokens (of one user).
    List {
        #[arg(long)]
        user: Option<String>,
    },
}

/// The demo's database when none is named.
pub const DEMO_DB: &str = "sqlite://anbiao-demo.db";

#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// Serve a database that holds the demo's published logins (a demonstration or training
    /// copy); without it `serve` refuses such a database.
    #[arg(long, env = "ANBIAO_ALLOW_DEMO_LOGINS")]
    pub allow_demo_logins: bool,
    /// Appends the audit chain's head to this file at start and on a schedule, keyed with the
    /// secret in --audit-head-key-file: a file outside the database that `anbiao audit verify
    /// --head-file` checks the chain against.
    #[arg(long, env = "ANBIAO_AUDIT_HEAD_FILE", requires = "audit_head_key_file")]
    pub audit_head_file: Option<std::path::PathBuf>,
    /// The secret (at least 16 bytes) keying each line of the head file.
    #[arg(long, env = "ANBIAO_AUDIT_HEAD_KEY_FILE", requires = "audit_head_file")]
    pub audit_head_key_file: Option<std::path::PathBuf>,
    /// Minutes between two lines of the head file.
    #[arg(long, default_value_t = 60, env = "ANBIAO_AUDIT_HEAD_EVERY_MINUTES")]
    pub audit_head_every_minutes: u64,
    /// Port on 127.0.0.1.
    #[arg(long, default_value_t = 8080, env = "ANBIAO_PORT")]
    pub port: u16,
    /// Mark session cookies Secure (when served behind HTTPS).
    #[arg(long, env = "ANBIAO_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// Behind N reverse proxies (`--trust-proxy` alone: one): the client address is the
    /// X-Forwarded-For entry the nearest proxy appended, N hops from the right.
    #[arg(long, env = "ANBIAO_TRUST_PROXY", num_args = 0..=1, default_value_t = 0, default_missing_value = "1", value_name = "N")]
    pub trust_proxy: u8,
    /// Failed sign-ins in a row that lock an account.
    #[arg(long, default_value_t = 5, env = "ANBIAO_LOCK_AFTER")]
    pub lock_after: i32,
    /// How long a lock lasts, in minutes.
    #[arg(long, default_value_t = 15, env = "ANBIAO_LOCK_MINUTES")]
    pub lock_minutes: i64,
    /// Idle minutes after which a session ends.
    #[arg(long, default_value_t = 30, env = "ANBIAO_SESSION_IDLE_MINUTES")]
    pub session_idle_minutes: i64,
    /// Hours after signing in at which a session ends however active it is.
    #[arg(long, default_value_t = 12, env = "ANBIAO_SESSION_MAX_HOURS")]
    pub session_max_hours: i64,
    /// Sign-in attempts accepted per client address per minute.
    #[arg(long, default_value_t = 20, env = "ANBIAO_SIGN_INS_PER_MINUTE")]
    pub sign_ins_per_minute: u32,
    /// Requests without a session accepted per client address per minute on the public pages.
    #[arg(long, default_value_t = 300, env = "ANBIAO_PUBLIC_REQUESTS_PER_MINUTE")]
    pub public_requests_per_minute: u32,
    /// The portal's public address (http:// or https://), printed in certificate QR codes.
    /// Without it certificates are not printed; an https address turns on Secure cookies.
    /// `demo` uses http://127.0.0.1:PORT.
    #[arg(long, env = "ANBIAO_PUBLIC_URL", value_parser = parse_public_url)]
    pub public_url: Option<String>,
    /// The CJK font file embedded in PDFs (default: WenQuanYi Micro Hei or Noto Sans CJK from the
    /// usual system locations).
    #[arg(long, env = "ANBIAO_CJK_FONT")]
    pub cjk_font: Option<PathBuf>,
    /// Run on a fixed business date YYYY-MM-DD (training, demonstration): decisions are dated and
    /// judged as of that day, and every page says so.
    #[arg(long, value_parser = parse_business_date, env = "ANBIAO_BUSINESS_DATE")]
    pub business_date: Option<time::Date>,
    /// The bureau's contact shown at the foot of the public site (address, telephone, office
    /// hours), e.g. "南通市应急管理局 安全生产基础处 电话 0513-xxxxxxxx". `demo` shows a demo one.
    #[arg(long, env = "ANBIAO_CONTACT", value_parser = parse_contact)]
    pub contact: Option<String>,
    /// Minutes between runs of the background jobs (0: do not run them in this instance).
    #[arg(long, default_value_t = 60, env = "ANBIAO_JOBS_EVERY_MINUTES")]
    pub jobs_every_minutes: u64,
}

fn parse_business_date(s: &str) -> Result<time::Date, String> {
    anbiao_domain::date::parse_date(s).ok_or_else(|| format!("日期应为 YYYY-MM-DD 格式：{s}"))
}

#[derive(Subcommand, Debug)]
pub enum ImportWhat {
    /// Imports an enterprise roster (.xlsx, .xls, .csv), creating or updating by credit code.
    Enterprises {
        file: PathBuf,
        /// Write nothing if any row is rejected.
        #[arg(long)]
        all_or_nothing: bool,
        /// Print one JSON object on stdout: {"imported", "updated", "rejected": [{"row", "column", "reason"}]},
        /// or {"error"} when the file cannot be read at all.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum ExportWhat {
    /// Exports the enterprise list to .xlsx.
    Enterprises {
        #[arg(short = 'o', long = "output")]
        output: PathBuf,
        /// Name substring or credit-code prefix.
        #[arg(long)]
        q: Option<String>,
        /// Region code or name.
        #[arg(long)]
        region: Option<String>,
        /// Industry code or name.
        #[arg(long)]
        industry: Option<String>,
        /// above, below, small_micro, large, medium, small, micro, unknown.
        #[arg(long)]
        size: Option<String>,
        /// active, suspended, closed.
        #[arg(long)]
        status: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum UserAction {
    /// Adds a user.
    Add {
        #[arg(long)]
        username: String,
        #[arg(long)]
        password: String,
        /// city_officer, district_officer, township_officer, enterprise_manager, evaluation_org,
        /// evaluator, partner, system_admin, security_admin, audit_admin
        #[arg(long)]
        role: String,
        /// Region code (district and township officers).
        #[arg(long)]
        region: Option<String>,
        /// Township (township officers).
        #[arg(long)]
        township: Option<String>,
        /// Credit code of the user's enterprise (enterprise managers).
        #[arg(long)]
        enterprise: Option<String>,
        /// Display name (defaults to the username).
        #[arg(long)]
        name: Option<String>,
        /// The password is not an initial one: do not ask for a change at first sign-in.
        #[arg(long)]
        no_change_required: bool,
    },
}

/// A public address: an http or https URL of a host, without query or fragment.
fn parse_contact(s: &str) -> Result<String, String> {
    let s = s.trim();
    if s.is_empty() || s.chars().count() > 200 || s.chars().any(char::is_control) {
        return Err("联系方式应为 1 至 200 个字符的一行文字".into());
    }
    Ok(s.to_string())
}

fn parse_public_url(s: &str) -> Result<String, String> {
    let s = s.trim().trim_end_matches('/');
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .ok_or("公开访问地址应以 https:// 或 http:// 开头")?;
    let host = rest.split('/').next().unwrap_or("");
    let fine = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']');
    if host.is_empty() || !host.chars().all(fine) || rest.contains(['?', '#', ' ']) {
        return Err(format!("公开访问地址“{s}”不是有效的网址"));
    }
    Ok(s.to_string())
}
