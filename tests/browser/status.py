"""The page's status line (index.html's data-testid="status"), as tests and benchmarks wait on it."""

# A JavaScript expression, true once the page's engine and UI are up; it tolerates the moment after
# a load when the status element is not there yet.
READY = "document.querySelector('[data-testid=status]')?.textContent === 'ready'"
