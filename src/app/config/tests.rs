use super::*;

#[test]
fn env_names_map_onto_nested_keys() {
    assert_eq!(
        env_key_to_path("SERVER_LISTEN_ADDR", &[]).as_deref(),
        Some("server.listen_addr")
    );
    assert_eq!(
        env_key_to_path("TLS_ENABLED", &[]).as_deref(),
        Some("tls.enabled")
    );
    assert_eq!(
        env_key_to_path("STORAGE_TYPE", &[]).as_deref(),
        Some("storage.type")
    );
    assert_eq!(
        env_key_to_path("STORAGE_POSTGRES_URL", &[]).as_deref(),
        Some("storage.postgres_url")
    );
    assert_eq!(
        env_key_to_path("BACKENDS_SIMULATOR_MAX_SHOTS", &[]).as_deref(),
        Some("backends.simulator.max_shots")
    );
    assert_eq!(
        env_key_to_path("CONFIG", &[]),
        None,
        "ARVAK_CONFIG names the file, not a key"
    );
    assert_eq!(env_key_to_path("TEST_DATABASE_URL", &[]), None);
    let ids = ["ibm".to_owned(), "ibm_torino".to_owned()];
    assert_eq!(
        env_key_to_path("BACKENDS_IBM_TORINO_API_KEY", &ids).as_deref(),
        Some("backends.ibm_torino.api_key"),
        "the longest configured id wins"
    );
    assert_eq!(
        env_key_to_path("BACKENDS_IBM_TOKEN", &ids).as_deref(),
        Some("backends.ibm.token")
    );
    assert_eq!(
        env_key_to_path("BACKENDS_GARNET_TOKEN", &ids).as_deref(),
        Some("backends.garnet.token"),
        "an id no file names ends at the first underscore"
    );
}

#[allow(clippy::result_large_err)]
#[test]
fn backends_are_named_sections_and_the_old_form_still_loads() {
    figment::Jail::expect_with(|jail| {
        jail.create_file(
            "arvak.yaml",
            "backends:\n  simulator:\n    max_shots: 500\n  small_sim:\n    type: simulator\n    max_shots: 10\n    job_timeout_secs: 3\n  spare:\n    type: simulator\n    enabled: false\n",
        )?;
        jail.set_env("ARVAK_BACKENDS_SMALL_SIM_MAX_SHOTS", "20");
        let config = Config::load(Some(Path::new("arvak.yaml"))).unwrap();
        let simulator = config.backends.get("simulator").unwrap();
        assert_eq!(
            simulator.kind("simulator"),
            "simulator",
            "type defaults to the name"
        );
        assert_eq!(simulator.settings["max_shots"], serde_json::json!(500));
        let small = config.backends.get("small_sim").unwrap();
        assert_eq!(small.kind("small_sim"), "simulator");
        assert_eq!(
            small.settings["max_shots"],
            serde_json::json!(20),
            "environment beats file"
        );
        assert_eq!(small.job_timeout_secs, Some(3));
        assert!(
            small.enabled,
            "a written section is served unless it says otherwise"
        );
        let served: Vec<&str> = config.backends.enabled().map(|(id, _)| id).collect();
        assert_eq!(
            served.len(),
            if COMPILED.simulator { 2 } else { 1 },
            "{served:?}"
        );
        assert!(!served.contains(&"spare"));
        Ok(())
    });
}

// figment::Jail's closures return figment::Error, which is large; not ours to shrink.
#[allow(clippy::result_large_err)]
#[test]
fn defaults_then_file_then_environment() {
    figment::Jail::expect_with(|jail| {
        jail.create_file(
            "arvak.yaml",
            "server:\n  listen_addr: 0.0.0.0:6000\n  shutdown_timeout_secs: 5\nworkers:\n  count: 3\n",
        )?;
        jail.set_env("ARVAK_SERVER_LISTEN_ADDR", "127.0.0.1:7000");
        jail.set_env("ARVAK_STORAGE_TYPE", "postgres");
        jail.set_env("ARVAK_TLS_ENABLED", "true");
        jail.set_env("ARVAK_BACKENDS_SIMULATOR_MAX_SHOTS", "42");
        jail.set_env("ARVAK_SERVER_THREADS", "1");
        let config = Config::load(Some(Path::new("arvak.yaml"))).unwrap();
        assert_eq!(config.server.threads, 1);
        assert_eq!(Config::default().server.threads, 0, "one per core");
        assert_eq!(
            config.server.listen_addr.to_string(),
            "127.0.0.1:7000",
            "environment beats file"
        );
        assert_eq!(
            config.server.shutdown_timeout_secs, 5,
            "file beats defaults"
        );
        assert_eq!(config.workers.count, 3);
        assert_eq!(config.workers.lease_secs, 30, "defaults fill the rest");
        assert_eq!(config.storage.kind, StorageType::Postgres);
        assert_eq!(
            config.storage.max_connections, None,
            "unset: the storage's own default"
        );
        assert!(config.tls.enabled);
        assert_eq!(
            config.backends.get("simulator").unwrap().settings["max_shots"],
            serde_json::json!(42)
        );
        Ok(())
    });
}

#[allow(clippy::result_large_err)]
#[test]
fn a_pool_size_from_the_environment_is_kept() {
    figment::Jail::expect_with(|jail| {
        jail.set_env("ARVAK_STORAGE_MAX_CONNECTIONS", "7");
        let config = Config::load(None).unwrap();
        assert_eq!(config.storage.max_connections, Some(7));
        Ok(())
    });
}

#[allow(clippy::result_large_err)]
#[test]
fn unknown_keys_and_missing_files_are_refused_with_their_name() {
    figment::Jail::expect_with(|jail| {
        jail.create_file("bad.yaml", "server:\n  listen_adress: 0.0.0.0:1\n")?;
        let err = Config::load(Some(Path::new("bad.yaml"))).unwrap_err();
        assert!(err.message().contains("listen_adress"), "{err}");
        let err = Config::load(Some(Path::new("nope.yaml"))).unwrap_err();
        assert!(err.message().contains("nope.yaml"), "{err}");
        jail.set_env("ARVAK_STORAGE_TYPE", "floppy");
        let err = Config::load(None).unwrap_err();
        assert!(
            err.message().contains("floppy") || err.message().contains("storage"),
            "{err}"
        );
        Ok(())
    });
}

// Inside a Jail: other tests set ARVAK_* variables in their own Jails.
#[allow(clippy::result_large_err)]
#[test]
fn the_example_configuration_in_deploy_loads() {
    figment::Jail::expect_with(|_| {
        let path = Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/deploy/arvak.example.yaml"
        ));
        let config =
            Config::load(Some(path)).unwrap_or_else(|e| panic!("deploy/arvak.example.yaml: {e}"));
        assert_eq!(config.workers.job_timeout_secs, 3600);
        assert_eq!(config.limits.max_queued_jobs, 1_000_000);
        assert_eq!(
            config.tls,
            TlsConfig::default(),
            "the file shows the defaults"
        );
        assert_eq!(
            config.auth,
            super::AuthConfig::default(),
            "the example shows the defaults"
        );
        assert_eq!(config.audit, super::AuditConfig::default());
        assert_eq!(config.policies, super::PoliciesConfig::default());
        Ok(())
    });
}

#[test]
fn every_section_of_the_configuration_can_be_set_from_the_environment() {
    let defaults = serde_json::to_value(Config::default()).unwrap();
    let mut sections: Vec<&str> = defaults
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut known = SECTIONS.to_vec();
    sections.sort_unstable();
    known.sort_unstable();
    assert_eq!(sections, known, "SECTIONS must list every field of Config");
    assert_eq!(
        env_key_to_path("TRACING_OTLP_ENDPOINT", &[]).as_deref(),
        Some("tracing.otlp_endpoint")
    );
}

#[test]
fn auth_variables_reach_their_subsection() {
    assert_eq!(
        env_key_to_path("AUTH_API_KEYS_FILE", &[]).as_deref(),
        Some("auth.api_keys.file")
    );
    assert_eq!(
        env_key_to_path("AUTH_JWT_JWKS_URL", &[]).as_deref(),
        Some("auth.jwt.jwks_url")
    );
    assert_eq!(
        env_key_to_path("AUTH_ALLOW_UNAUTHENTICATED", &[]).as_deref(),
        Some("auth.allow_unauthenticated")
    );
    assert_eq!(
        env_key_to_path("AUDIT_FILE", &[]).as_deref(),
        Some("audit.file")
    );
    assert_eq!(
        env_key_to_path("POLICIES_RELOAD_INTERVAL_SECS", &[]).as_deref(),
        Some("policies.reload_interval_secs")
    );
}

#[test]
fn unauthenticated_callers_are_admitted_by_default_only_while_no_method_is_enabled() {
    let mut auth = super::AuthConfig::default();
    assert!(auth.admits_anonymous());
    auth.jwt.enabled = true;
    assert!(!auth.admits_anonymous());
    auth.allow_unauthenticated = Some(true);
    assert!(auth.admits_anonymous());
}
