//! The `anbiao` command: demo, serve, migrate, seed, import, export, user administration.

mod cli;
mod commands;
mod consequence_story;
mod demo;
mod head_file;
mod obligation_story;
mod ops;
mod outreach_story;
mod reference;
mod registry_cmd;
mod risk_registers;
mod risk_story;
mod site_plans;
mod story;
mod supervision;

use clap::{CommandFactory, FromArgMatches};

#[tokio::main]
async fn main() {
    let matches = cli::Cli::command().get_matches();
    let mut args = cli::Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    // The demo keeps to its own file unless a database is named: a demo run in a directory
    // holding the real anbiao.db must not plant its known logins there.
    if matches.value_source("db") == Some(clap::parser::ValueSource::DefaultValue)
        && matches!(args.command, cli::Command::Demo { .. })
    {
        args.db = cli::DEMO_DB.to_string();
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn,tower_http=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let code = match commands::run(args).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("错误：{e:#}");
            1
        }
    };
    std::process::exit(code);
}
