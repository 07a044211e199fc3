"""Production refuses to start with staff login misconfigured (docs/security.md, "Staff login")."""

from tests.helpers import in_new_process

SECRET_KEY = "k" * 30 + "abcdefghij" * 3
PRINT_LOGIN = (
    "from django.conf import settings; "
    "print(settings.OTP_REQUIRED, settings.AXES_FAILURE_LIMIT, settings.AXES_COOLOFF_TIME.total_seconds())"
)


def start(module, before="", **env):
    """Load the settings `module` in a new process, after running `before`."""
    return in_new_process(
        "-c",
        f"{before}import django; django.setup(); {PRINT_LOGIN}",
        without=("OTP_", "LOGIN_", "DEBUG"),
        DJANGO_SETTINGS_MODULE=module,
        SECRET_KEY=SECRET_KEY,
        **env,
    )


def test_production_requires_the_second_step_and_development_does_not():
    production = start("foreignpolicy.settings.production")
    assert production.returncode == 0, production.stderr
    assert production.stdout.split() == ["True", "5", "900.0"]
    assert start("foreignpolicy.settings.development").stdout.split()[0] == "False"


def test_the_operator_may_turn_the_second_step_off_and_set_the_lockout():
    result = start(
        "foreignpolicy.settings.production", OTP_REQUIRED="false", LOGIN_FAILURE_LIMIT="8", LOGIN_LOCKOUT_MINUTES="30"
    )
    assert result.stdout.split() == ["False", "8", "1800.0"], result.stderr


def test_production_refuses_a_lockout_that_would_lock_everyone_or_no_one():
    for variables in ({"LOGIN_FAILURE_LIMIT": "0"}, {"LOGIN_LOCKOUT_MINUTES": "0"}):
        result = start("foreignpolicy.settings.production", **variables)
        assert result.returncode != 0
        assert "LOGIN_FAILURE_LIMIT and LOGIN_LOCKOUT_MINUTES must be at least 1." in result.stderr


def test_production_refuses_to_require_the_second_step_without_django_otp():
    without_otp = "import foreignpolicy.settings.base as base; base.INSTALLED_APPS.remove('django_otp'); "
    result = start("foreignpolicy.settings.production", without_otp)
    assert result.returncode != 0
    assert "OTP_REQUIRED needs django_otp, its otp_totp and otp_static apps" in result.stderr


def test_production_refuses_to_start_without_the_lockout():
    without_axes = (
        "import foreignpolicy.settings.base as base; base.MIDDLEWARE.remove('axes.middleware.AxesMiddleware'); "
    )
    result = start("foreignpolicy.settings.production", without_axes)
    assert result.returncode != 0
    assert "Login protection needs the axes app and its AxesMiddleware installed." in result.stderr
