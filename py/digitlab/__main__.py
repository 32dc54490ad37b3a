"""`python -m digitlab` and the `digitlab` script: the command line."""
import os
import sys


def run():
    # One BLAS thread, set before NumPy loads. Our matrices are small: on this
    # project's 2-core machine a second OpenBLAS thread trained no faster when
    # idle, and 15-25 times slower while another process was busy.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from .cli import main, print_any_file_name

    print_any_file_name()
    return main()


if __name__ == "__main__":
    sys.exit(run())
