//! `arvak-grpc-server`: loads configuration, then serves until SIGTERM/SIGINT,
//! or runs one `api-key` command against the configured key store, or one
//! `audit` command against the audit table.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use arvak_grpc::app::api_keys::{self, ApiKeyCommand, CommandOutput};
use arvak_grpc::app::audit_trail;
use arvak_grpc::app::{App, config::Config, signals, telemetry};

mod allocator;
mod runtime;

#[derive(Parser)]
#[command(
    name = "arvak-grpc-server",
    version,
    about = "Arvak quantum-job gRPC service"
)]
struct Cli {
    /// YAML configuration file; environment variables ARVAK_* override it.
    #[arg(long, env = "ARVAK_CONFIG", global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Issue, disable and list API keys (in auth.api_keys.file or the SQL
    /// storage, as the server reads them).
    #[command(subcommand)]
    ApiKey(KeyCommand),
    /// Read the audit trail kept in the SQL storage (audit.table).
    #[command(subcommand)]
    Audit(AuditCommand),
}

#[derive(Subcommand)]
enum AuditCommand {
    /// The newest events as JSON lines, oldest first.
    List {
        /// How many events at most.
        #[arg(long, default_value_t = audit_trail::DEFAULT_LIMIT)]
        limit: u32,
        /// Only this client's events.
        #[arg(long)]
        client: Option<String>,
    },
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Issue a key for a client; prints it once on stdout.
    Create {
        #[arg(long)]
        client: String,
    },
    /// Disable a key: calls with it are refused from then on.
    Disable {
        #[arg(long)]
        id: String,
    },
    /// List keys: id, client, enabled, created (no secrets, no hashes).
    List,
}

impl From<KeyCommand> for ApiKeyCommand {
    fn from(command: KeyCommand) -> Self {
        match command {
            KeyCommand::Create { client } => ApiKeyCommand::Create { client },
            KeyCommand::Disable { id } => ApiKeyCommand::Disable { key_id: id },
            KeyCommand::List => ApiKeyCommand::List,
        }
    }
}

fn main() -> ExitCode {
    // `.env` only fills in variables the real environment does not set.
    if let Err(e) = dotenvy::dotenv()
        && !e.not_found()
    {
        eprintln!("arvak-grpc-server: .env: {e}");
        return ExitCode::from(2);
    }
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref()) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("arvak-grpc-server: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match runtime::build(config.server.threads) {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("arvak-grpc-server: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match cli.command {
        Some(Command::ApiKey(command)) => {
            return runtime.block_on(async move {
                finish_command(api_keys::run(&config, command.into()).await)
            });
        }
        Some(Command::Audit(AuditCommand::List { limit, client })) => {
            return runtime.block_on(async move {
                finish_command(audit_trail::list(&config, limit, client.as_deref()).await)
            });
        }
        None => {}
    }
    runtime.block_on(async move {
        // Commands print only their answer; the server logs.
        let telemetry = match telemetry::init(&config.logging, &config.tracing) {
            Ok(telemetry) => telemetry,
            Err(e) => return fail(ExitCode::from(2), format_args!("{e}")),
        };
        let code = serve(config).await;
        // After the drain: the spans of the last jobs go out before exit.
        telemetry.shutdown();
        code
    })
}

async fn serve(config: Config) -> ExitCode {
    // Before the port is bound: see `signals::terminate`.
    let terminate = signals::terminate();
    let listen_addr = config.server.listen_addr;
    let app = match App::build(config).await {
        Ok(app) => app,
        Err(e) => return fail(ExitCode::from(2), format_args!("{e}")),
    };
    let listener = match tokio::net::TcpListener::bind(listen_addr).await {
        Ok(listener) => listener,
        Err(e) => {
            let message = format_args!("cannot listen on {listen_addr}: {e}");
            return fail(ExitCode::FAILURE, message);
        }
    };
    match app.serve(listener, terminate).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(ExitCode::FAILURE, format_args!("{e}")),
    }
}

/// Prints what a command answered (the answer on stdout, notes on stderr).
fn finish_command(outcome: arvak_grpc::domain::Result<CommandOutput>) -> ExitCode {
    match outcome {
        Ok(output) => {
            print!("{}", output.stdout);
            if let Some(note) = output.note {
                eprintln!("{note}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("arvak-grpc-server: {e}");
            ExitCode::FAILURE
        }
    }
}

/// A start-up or serving failure: in the log, and on stderr for whoever
/// started the process.
fn fail(code: ExitCode, message: std::fmt::Arguments<'_>) -> ExitCode {
    tracing::error!("{message}");
    eprintln!("arvak-grpc-server: {message}");
    code
}
