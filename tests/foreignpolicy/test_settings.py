import pytest
from django.conf import settings
from django.db import connection

from tests.helpers import in_new_process

PRINT_DATABASE = "from django.conf import settings; print(settings.DATABASES['default']['ENGINE'], settings.DEBUG)"


def django_check(module, **env):
    return in_new_process(
        "-c",
        f"import django; django.setup(); {PRINT_DATABASE}",
        without=("SECRET_KEY", "DATABASE_URL", "DEBUG"),
        DJANGO_SETTINGS_MODULE=module,
        **env,
    )


def test_production_refuses_to_start_without_a_real_secret_key():
    for key in ("", "short", "django-insecure-" + "x" * 50):
        result = django_check("foreignpolicy.settings.production", SECRET_KEY=key)
        assert result.returncode != 0
        assert "SECRET_KEY must be set to a random value of at least 50 characters" in result.stderr


def test_production_refuses_to_run_with_debug_on():
    result = django_check("foreignpolicy.settings.production", SECRET_KEY="k" * 30 + "abcdefghij" * 3, DEBUG="true")
    assert result.returncode != 0
    assert "DEBUG must be off in production" in result.stderr


def test_production_starts_with_a_secret_key_and_reads_the_database_url():
    result = django_check(
        "foreignpolicy.settings.production",
        SECRET_KEY="k" * 30 + "abcdefghij" * 3,
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/foreignpolicy",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.postgresql", "False"]


def test_with_nothing_set_development_runs_on_sqlite_with_debug():
    result = django_check("foreignpolicy.settings.development")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.sqlite3", "True"]


def test_persistent_connections_are_health_checked():
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True


PRINT_DATABASE_OPTIONS = "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS'])"


def test_postgresql_connections_run_without_jit_and_keep_the_urls_own_options():
    result = in_new_process(
        "-c",
        f"import django; django.setup(); {PRINT_DATABASE_OPTIONS}",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/foreignpolicy?options=-c%20work_mem%3D8MB",
    )
    assert result.returncode == 0, result.stderr
    assert "'options': '-c work_mem=8MB -c jit=off'" in result.stdout


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's JIT")
@pytest.mark.django_db
def test_the_database_compiles_no_query_just_in_time():
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)


def deploy_check(**env):
    return in_new_process(
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        # The browser tests' Playwright loop sets DJANGO_ALLOW_ASYNC_UNSAFE in this process; a
        # deployment never has it (check --deploy refuses it).
        without=("DATABASE_URL", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"),
        DJANGO_SETTINGS_MODULE="foreignpolicy.settings.production",
        SECRET_KEY="k" * 30 + "abcdefghij" * 3,
        **env,
    )


def test_the_deployment_check_finds_nothing_in_production_settings():
    result = deploy_check()
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_hsts_for_subdomains_and_preloading_are_the_operators_decision():
    result = deploy_check(SECURE_HSTS_INCLUDE_SUBDOMAINS="true", SECURE_HSTS_PRELOAD="true")
    assert result.returncode == 0, result.stderr

    result = deploy_check(SECURE_HSTS_SECONDS="0")
    assert result.returncode != 0
    assert "security.W004" in result.stderr
