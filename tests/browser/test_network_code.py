"""The network in Python, in the real page: edited with the keyboard, checked and trained in the
trainer's Python; problems shown on their line, and the page working on after them."""
import re

from test_training import TRAINING_TIMEOUT_MS, text

EDITOR_UP = "document.querySelector('[data-testid=code-message]')?.textContent.startsWith('The default CNN')"


def check(page):
    """Press Check; -> what the panel says once the trainer answered."""
    page.click('[data-testid="code-check"]')
    page.wait_for_function("!['Checking…', ''].includes(document.querySelector('[data-testid=code-message]')"
                           "?.textContent ?? '')", timeout=TRAINING_TIMEOUT_MS)
    return text(page, "code-message")


def parameters(said):
    return int(re.search(r"([\d,]+) parameters", said).group(1).replace(",", ""))


def test_editing_a_layer_changes_the_parameters_and_the_edited_network_trains(app):
    app.wait_for_function(EDITOR_UP, timeout=30000)
    before = check(app)
    assert before.startswith("Checked: 28x28x1 → 28x28x16 → 14x14x16")
    line = app.locator(".cm-line", has_text="Conv2D(filters=16")  # the first convolution
    line.get_by_text("16", exact=True).dblclick()  # the number, selected as a person would
    app.keyboard.type("8")
    after = check(app)
    assert after.startswith("Checked: 28x28x1 → 28x28x8 → 14x14x8")
    assert parameters(after) < parameters(before)

    app.select_option('[data-testid="train-model"]', "python")
    app.fill('[data-testid="train-epochs"]', "1")
    app.select_option('[data-testid="train-images"]', "50")
    app.click('[data-testid="train-start"]')
    app.wait_for_selector('[data-testid="evaluation"]:not([hidden])', timeout=TRAINING_TIMEOUT_MS)
    assert app.evaluate("digitlab.charts.points()") == {"batches": 8, "epochs": 1}


def test_a_syntax_error_and_a_shape_error_are_marked_on_their_line_and_the_panel_works_on(app):
    app.wait_for_function(EDITOR_UP, timeout=30000)
    app.evaluate("code => digitlab.code.setText(code)",
                 "model = [\n    Flatten(),\n    Dense(units=64),\n    ReLU() ReLU(),\n    Dense(units=classes),\n]\n")
    assert check(app).startswith("Line 4: SyntaxError")
    assert app.evaluate("digitlab.code.cursorLine()") == 4

    app.evaluate("code => digitlab.code.setText(code)",
                 "model = [\n    Conv2D(filters=8, kernel=3),\n    Conv2D(filters=8, kernel=30),\n"
                 "    Flatten(),\n    Dense(units=classes),\n]\n")
    assert check(app).startswith("Line 3: Conv2D does not fit here")
    assert app.evaluate("digitlab.code.cursorLine()") == 3

    app.select_option('[data-testid="code-example"]', "mlp")
    assert check(app).startswith("Checked: 28x28x1 → 784 → 256")


def test_code_that_runs_on_inside_one_call_is_stopped_with_its_worker_and_the_panel_works_on(app):
    app.wait_for_function(EDITOR_UP, timeout=30000)
    # One builtin call, which no Python-level limit can interrupt: the page stops the worker.
    app.evaluate("code => digitlab.code.setText(code)",
                 "total = sum(range(10 ** 13))\nmodel = [Flatten(), Dense(units=classes)]\n")
    assert "without an answer" in check(app)
    app.select_option('[data-testid="code-example"]', "logreg")
    assert check(app).startswith("Checked: 28x28x1 → 784 → 10")  # a new trainer answers
