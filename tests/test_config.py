import pytest

from imgsearch.config import ConfigError, load_settings


def test_defaults_are_the_embedded_back_ends():
    settings = load_settings(environ={}, env_file=None)
    assert (settings.storage, settings.index, settings.embedder, settings.describer) == (
        "local",
        "local",
        "local",
        "local",
    )
    assert settings.sqlalchemy_url.startswith("sqlite:///")
    assert settings.sqlalchemy_url.endswith("data/imgsearch.db")


def test_environment_overrides_env_file(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("IMGSEARCH_PORT=9001\nIMGSEARCH_OCR=false\nIMGSEARCH_MAX_UPLOAD_MB=5\n")
    settings = load_settings(environ={"IMGSEARCH_PORT": "9002"}, env_file=env_file)
    assert settings.port == 9002
    assert settings.ocr is False
    assert settings.max_upload_bytes == 5 * 1024 * 1024


def test_allowed_formats_parse_as_a_list():
    settings = load_settings(environ={"IMGSEARCH_ALLOWED_FORMATS": "jpeg, png"}, env_file=None)
    assert settings.allowed_formats == ("JPEG", "PNG")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("IMGSEARCH_STORAGE", "ftp", "not one of: local, s3"),
        ("IMGSEARCH_PORT", "eighty", "not a valid int"),
        ("IMGSEARCH_OCR", "maybe", "not a valid bool"),
        ("IMGSEARCH_DESCRIBER", "openai", "needs IMGSEARCH_OPENAI_BASE_URL"),
    ],
)
def test_bad_values_are_refused_with_the_variable_named(name, value, message):
    with pytest.raises(ConfigError, match=message):
        load_settings(environ={name: value}, env_file=None)


def test_secrets_stay_out_of_repr():
    settings = load_settings(environ={"IMGSEARCH_PINECONE_API_KEY": "pc-secret-123"}, env_file=None)
    assert settings.pinecone_api_key == "pc-secret-123"
    assert "pc-secret-123" not in repr(settings)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("IMGSEARCH_ALLOWED_FORMATS", "jpeg,tiff", "may list only JPEG, PNG, WEBP, GIF"),
        ("IMGSEARCH_PAGE_SIZE", "0", "IMGSEARCH_PAGE_SIZE must be at least 1"),
        ("IMGSEARCH_PROCESSING_LEASE_S", "-5", "must be at least 1"),
    ],
)
def test_unusable_limits_are_refused(name, value, message):
    with pytest.raises(ConfigError, match=message):
        load_settings(environ={name: value}, env_file=None)


def test_database_url_stays_out_of_repr():
    settings = load_settings(
        environ={"IMGSEARCH_DATABASE_URL": "postgresql://u:hunter2@db.example/x"}, env_file=None
    )
    assert "hunter2" not in repr(settings)


def test_a_misspelt_setting_is_reported(caplog):
    load_settings(environ={"IMGSEARCH_DESCRIBR": "bedrock"}, env_file=None)
    assert "ignoring unknown settings: IMGSEARCH_DESCRIBR" in caplog.text


def test_a_bedrock_call_that_could_outlive_the_lease_is_refused():
    # 3 x (5 s + 25 s) + backoff of 2 and 4 s: what the ingest function's 120 s lease holds.
    lambda_like = {
        "IMGSEARCH_DESCRIBER": "bedrock",
        "IMGSEARCH_AWS_MAX_ATTEMPTS": "3",
        "IMGSEARCH_AWS_CONNECT_TIMEOUT_S": "5",
        "IMGSEARCH_BEDROCK_TIMEOUT_S": "25",
        "IMGSEARCH_PROCESSING_LEASE_S": "120",
    }
    assert load_settings(environ=lambda_like, env_file=None).bedrock_worst_case_s == 96
    # The old budget: 3 x (10 s + 30 s), the whole 120 s, so a hung call killed the invocation.
    with pytest.raises(ConfigError, match="may take up to 126 s"):
        load_settings(
            environ={
                **lambda_like,
                "IMGSEARCH_AWS_CONNECT_TIMEOUT_S": "10",
                "IMGSEARCH_BEDROCK_TIMEOUT_S": "30",
            },
            env_file=None,
        )


def test_s3_vectors_needs_its_bucket():
    with pytest.raises(ConfigError, match="IMGSEARCH_S3VECTORS_BUCKET"):
        load_settings(environ={"IMGSEARCH_INDEX": "s3vectors"}, env_file=None)
