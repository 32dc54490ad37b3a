"""The rerun rule of conftest.py, run by pytest itself: a WebKit test the browser's crash cut short
runs again, up to RERUNS times; a test that fails any other way fails at once."""
import pathlib

pytest_plugins = ["pytester"]

CONFTEST = pathlib.Path(__file__).with_name("conftest.py")


def test_only_a_test_cut_short_by_the_browser_runs_again(pytester):
    pytester.makeconftest(CONFTEST.read_text())
    pytester.makepyfile(test_webkit_cases='''
        from selenium.common.exceptions import InvalidSessionIdException
        from tests.webkit.driving import BrowserGone

        runs = {"wait": 0, "call": 0, "twice": 0, "page": 0}

        def test_a_wait_cut_short():
            runs["wait"] += 1
            if runs["wait"] == 1:
                raise BrowserGone("WebKit's session ended while waiting")

        def test_a_call_cut_short():
            runs["call"] += 1
            if runs["call"] == 1:
                raise InvalidSessionIdException("invalid session id")

        def test_cut_short_twice():
            runs["twice"] += 1
            if runs["twice"] <= 2:
                raise BrowserGone("WebKit's session ended again")

        def test_the_page_fails():
            runs["page"] += 1
            assert runs["page"] > 5, "the page's own failure"

        def test_cut_short_every_time():
            raise BrowserGone("WebKit's session ended every time")
    ''')
    outcomes = pytester.runpytest_inprocess("-p", "no:cacheprovider").parseoutcomes()
    # reruns: 1 + 1 + 2 for the three that pass, 2 for the one cut short every time
    assert {k: outcomes.get(k) for k in ("passed", "failed", "rerun")} == {"passed": 3, "failed": 2, "rerun": 6}
