"""Judging serial output against [test] by vmrunner's rules, with no QEMU."""

import pytest

from ukbuild.checks import SerialWatch, verdict
from ukbuild.model import TestSpec as Spec

RUNNING = " +--> Running [ probe ]"
RULES = {"panic": r"\x15\x07\t\*\*\*\* PANIC \*\*\*\*|^\*\*\* PANIC"}


def judge(lines, qemu_status=0, **test):
    watch = SerialWatch(RULES, Spec(**test))
    for line in lines:
        watch.feed(line)
        if watch.done or watch.failure:
            break
    return watch, verdict(watch, qemu_status, "")


def test_a_clean_power_off_with_nothing_else_decided_passes():
    _, (status, message) = judge([RUNNING, "     [ Kernel ] Powering off"])
    assert (status, message) == (0, "the service reported status 0")


def test_the_reported_status_is_checked():
    lines = [RUNNING, "       [ main ] returned with status 3"]
    assert judge(lines)[1] == (68, "the service reported status 3, expected 0")
    assert judge(lines, exit_status=3)[1] == (0, "the service reported status 3")
    assert judge([RUNNING, "Service exited with status 200"], exit_status=200)[1][0] == 0


def test_the_success_line_ends_the_test_after_the_expect_lines():
    watch, (status, message) = judge(
        [RUNNING, "one", "  [ Test ] SUCCESS", "never read"], expect=("one",), success="SUCCESS")
    assert watch.done and watch.lines[-1] == "  [ Test ] SUCCESS"
    assert status == 0 and "SUCCESS" in message
    watch, (status, message) = judge([RUNNING, "SUCCESS", "one"], expect=("one",), success="SUCCESS")
    assert status == 68 and "came before 'one'" in message, message


def test_a_success_line_never_seen_fails_even_after_a_clean_power_off():
    _, (status, message) = judge([RUNNING, "     [ Kernel ] Powering off"], success="SUCCESS")
    assert status == 68 and "expected a line matching [test] success 'SUCCESS'" in message


def test_a_fail_line_fails_at_once():
    watch, (status, message) = judge([RUNNING, "oops: Invalid -1", "SUCCESS"],
                                     fail=(" : Invalid -1", "Invalid"), success="SUCCESS")
    assert watch.failure and watch.lines[-1] == "oops: Invalid -1"
    assert status == 68 and "matches [test] fail 'Invalid'" in message, message


def test_counts_are_exact_and_end_the_test_when_reached_without_a_success_line():
    lines = [RUNNING, "[0] Service::start()", "[1] kernel_main", "[2] kernel_main", "more"]
    watch, (status, message) = judge(lines, count=(("Service::start", 1), ("kernel_main", 2)))
    assert watch.done and watch.lines[-1] == "[2] kernel_main" and status == 0, message
    _, (status, message) = judge(lines, count=(("kernel_main", 1), ("more", 1)))
    assert status == 68 and "2 lines match [test] count 'kernel_main', expected 1" == message
    _, (status, message) = judge([RUNNING, "a", "All done!"], success="All done!",
                                 count=(("^a$", 1), ("^b$", 1)))
    assert status == 68 and message == "0 lines match [test] count '^b$', expected 1"


def test_an_expected_panic_passes_and_a_missing_one_fails():
    panic = "\x15\x07\t**** PANIC ****"
    lines = [RUNNING, "Divide-by-zero Error (0)", panic, "CPU: 0, Reason: Divide-by-zero Error (0)",
             "[1] __cpu_exception", "[2] Service::start()"]
    watch, (status, message) = judge(lines, panic="expected", count=(
        ("Divide-by-zero Error", 2), ("__cpu_exception", 1), ("Service::start()", 1)))
    assert watch.done and status == 0 and "as expected" in message, message
    assert judge(lines)[1][0] == 67
    _, (status, message) = judge([RUNNING, "     [ Kernel ] Powering off"], panic="expected")
    assert status == 68 and "expected a panic" in message


def test_the_platform_rules_say_what_a_panic_is():
    _, (status, message) = judge([RUNNING, "*** PANIC: on purpose"])
    assert status == 67 and "on purpose" in message
    assert judge([RUNNING, "no PANIC here, just text", "     [ Kernel ] Powering off"])[1][0] == 0


@pytest.mark.parametrize("lines, status, reason", [
    ([], 72, "before the service started"),
    (["garbage"], 72, "never reported"),
    ([RUNNING], 67, "without powering off"),
])
def test_boot_failures_and_resets(lines, status, reason):
    got, message = judge(lines)[1]
    assert got == status and reason in message, message


def test_a_success_line_before_the_service_runs_passes():
    """A plugin's line at boot (vmrunner judges every line, from the first)."""
    lines = ["[ Field medic ] Diagnose complete. Healthy", RUNNING]
    assert judge(lines, success="Healthy")[1] == (
        0, "the success line appeared: '[ Field medic ] Diagnose complete. Healthy'")
    assert judge(["booting", "halted"], success="Healthy")[1][0] == 72
