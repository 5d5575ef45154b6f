"""Run `aibt data update` in a subprocess against the fake market (tests/fake_market.py).

Usage: python fake_update_runner.py SIGNAL_FILE PHASE ARGS...  PHASE ``fetch``: the fake blocks on 588790's
bars after touching SIGNAL_FILE; ``write``: the store writer blocks after its first file. The test then
kills the process with SIGKILL.
"""
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


class _Patch:
    def setattr(self, obj, name, value):
        setattr(obj, name, value)


def main() -> None:
    signal, phase, args = Path(sys.argv[1]), sys.argv[2], sys.argv[3:]
    from fake_market import FakeMarket

    market = FakeMarket().install(_Patch())
    if phase == "fetch":
        import akshare

        real = akshare.fund_etf_hist_em

        def blocking(*a, **kw):
            signal.write_text("fetching")
            time.sleep(120)
            return real(*a, **kw)

        akshare.fund_etf_hist_em = blocking
    elif phase == "write":
        import aibt.data.store as store

        real_write = store.write_parquet

        def slow(df, path):
            real_write(df, path)
            signal.write_text("writing")
            time.sleep(120)

        store.write_parquet = slow
    del market
    from aibt.cli import main as cli_main

    cli_main(args)


if __name__ == "__main__":
    main()
