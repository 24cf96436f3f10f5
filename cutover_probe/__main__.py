"""`python -m cutover_probe` is the same program as the `cutover-probe` console script."""

from cutover_probe.cli import main

if __name__ == "__main__":
    main()
