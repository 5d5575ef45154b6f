"""Supplier baskets from the Soochow Securities (东吴证券) AI-interconnect note: optical, copper, PCB.

Members are equal-weighted unless a user file gives weights. 300308 中际旭创 sits in both optical and copper
as in the note; 6088.HK 鸿腾精密 (FIT Hon Teng) trades in HKD.
"""
from __future__ import annotations

SOURCE = "Soochow Securities interconnect note (optical / copper / PCB supplier lists)"

BASKETS: dict[str, tuple[str, ...]] = {
    # 中际旭创, 新易盛, 天孚通信, 源杰科技, 长光华芯, 长芯博创, 仕佳光子, 致尚科技, 太辰光
    "optical": ("300308", "300502", "300394", "688498", "688048", "300548", "688313", "301486", "300570"),
    # 兆龙互连, 中际旭创, 鸿腾精密
    "copper": ("300913", "300308", "6088.HK"),
    # 胜宏科技, 景旺电子, 沪电股份, 生益科技
    "pcb": ("300476", "603228", "002463", "600183"),
}
