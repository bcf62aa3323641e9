"""Independent held-out check of the coherence steps (issue 18): pages built with recipes, a seed and a chrome
vocabulary that the detector's own recipes (bench/coherence_recipes.py, bench/coherence.py) do not use.

Written without those scripts' generators or chrome sources, to measure what a new user sees. It runs the SHIPPED
defaults through the public step API: the steps of the default pipeline (src/winnow/configs/default.yaml) that work
on one document at a time, in the pipeline's order (corpus steps such as line_dedup need a corpus and are left out;
the HTML extractor is left out, the input is text). ``stitched_document``'s verdict is the "flagged" figure;
``offtopic_sentences``' removals are the sentence figures; "all cleaning" counts every deletion of every local step
(c4_quality's line removal included), the way the default pipeline would edit the page.

Sources (``--data``, default ../shared/data): crawl/web-pages.jsonl.gz ``main_text`` (language by winnow's
``language`` step), crawl/register-multiling (11 languages, machine-translated documents left out) and the
human-kept lines of lines/turku-line-quality dev documents. Only pages in the half of the data that
bench/coherence_recipes.py calls ``test`` (first byte of sha1 of the first 300 characters >= 128) are used, so no
page the detector was trained on is a source here.

Recipes (own, see bench/results/coherence_heldout.md):

* ``spun_rel`` / ``spun_unrel``: 2-8 source pages, one dominant (35-60% of the sentences) and the rest sharing what is
  left, all sentences shuffled together; related = the seed page's nearest pages by tf-idf cosine of word counts,
  unrelated = pages with a low cosine to every page already chosen. 0-2 chrome lines.
* ``block_rel`` / ``block_unrel``: 2-8 source pages, a contiguous run of 2-14 sentences from a random start of each,
  one after another (how the specimen is made); with probability 0.35 a sidebar block of 3-7 other pages' first
  lines and with probability 0.25 a block of 3-6 made-up citations are added between blocks. 0-3 chrome lines.
* ``intruded``: a real page, its own sentences in order, plus sentences of unrelated pages (low cosine) adding
  10-30% of its length, inserted one to three at a time at random sentence boundaries, plus 2-6 chrome lines at
  random places.
* ``untouched``: real pages of 12+ sentences as they are, flattened to one line, or one paragraph per 1-4 sentences.

Every specimen has 12+ sentences (winnow.sentences) and is written one line (spaces) or with line breaks (half
each). Chrome lines come from a vocabulary of site families (shops, forums, cookie banners, share rows, breadcrumbs,
pagination, newsletter boxes, account menus) in 11 languages, in the page's language where the family has it,
otherwise English. The vocabulary is stored compressed (CHROME below) so that engineers tuning the detector do not
read it by accident; ``--dump-chrome`` prints it, ``--chrome FILE`` replaces it with a JSON file of the same shape.

It also measures noise-line removal on the Turku dev split (human labels, noise = 0) with the same local cleaning
steps, and CPU time.

    .venv/bin/python bench/coherence_heldout.py [--data ../shared/data] [--per-recipe 300] [--seed 7301]
        [--append bench/results/coherence_heldout.md]
"""

from __future__ import annotations

import argparse
import base64
import collections
import datetime
import glob
import gzip
import hashlib
import json
import math
import os
import random
import re
import subprocess
import sys
import time
import zlib
from importlib import resources

from winnow import Document, load_pipeline, steps
from winnow.config import build_from_class, component_to_dict
from winnow.errors import ConfigError
from winnow.sentences import sentence_spans
from winnow.step import CorpusStep

REGISTER = {
    "fr": "FrCORE", "sv": "SvCORE", "fi": "FinCORE", "es": "SpaCORE", "pt": "PtCORE", "ca": "CaCORE", "id": "IdCORE",
    "ar": "ArCORE", "hi": "HiCORE", "ur": "UrCORE", "zh": "SimChiCORE",
}
RECIPES = ("spun_rel", "spun_unrel", "block_rel", "block_unrel", "intruded", "untouched")

# zlib + base64 of the chrome vocabulary JSON: {family: {lang: [template]}, "fill": {...}}.
CHROME = (
    "eNptWm1vHEdy/isdIT77EJGW7AAJGCABRVESLVLmiTSVODgEvTu9u82Z6V7P9Cy1ZAjIsijILzrD0Z2dMy6IdaYsSpZ01kmmbdnyAZo/QX71iXr5"
    "lL+Qp6p7dmdlAba409Mv1dVVTz1VPWv78o7t7psQa/uUwZ9/3zcZRcJZ0ZB5rNy+/WLfkUwpEalE91TWF9YIm0Uqy4XFs3jw+ZpZp14zRuTONmPx"
    "05lLosgLmSR9Eem8K12zoyKxol1HG7EWr4sVm8XatEUk+zkNnSowMqUpVzpY2BbtjhPonQvtVCpkklet1BsrdteFNs1xsTS5SC2vGyxFEyeq5fCm"
    "JgiLKnJrzTj1DHtb0Xkn0TlPN2XTrswU/TyVYT0hRaZ6Wq1QC/YmmkG60MwSL6hmkSmBjTVjWzjenJiX/XmZ0OtXD4xhbyK1RvXHGhKytAuZSeMU"
    "r4OOJOWr+MepTOVurEUq1iZ3MkmVcdBtS/A+WSyZ+wdxwq7Qr7e4eSrRmPgXYsomiWo6IXtSJ7KRKC8gt+V6lR9fh4yYcqgXY51uQUIFlSvzzNjj"
    "b8Ac8rjgZQ6xHYiXSL90HPkvvdaM06ZQgqyni8Okxn+zhUixNz6wRMd+NpkooUyUi1RHRuMQ/2bfr9EeKbY2mE0EAU7hCExsswYNWYIpSBPFNnfK"
    "QDVayIago/jp7A16P6tVS2WrSrsJOvaxtXRdnFJZ7GSbl9QmTsbF3MqCG98vVlfbeBiZki2haPHCcxi3qpxTfHDHC0ONsSxajtRSNDvUfKLIoLFm"
    "h41swZU/QIvoImaxYEYdXlNu1fGwMHvmsP3EFCkMp65MtaIyV5g2Jn8JO2JdLtiWzRwURrtqSJ7waFZul/+L0yk3O4mf800IcVzmuWL1tTLvrMsw"
    "P9imLERXGu2lmdW9TOocntrOpCvIqKNyK69UKKIXZbMjnTdFrcjixMEDB8QLIi+vwbA1/tDL6eBJ+4U63S2vRbq8BlcqclYDFs7YF2ZVLpoQns0W"
    "M8kiz3Fi8A3np5ns6WGPwa4rycvPYDOCvBFSvqgMfIynPakcVqh24Nd99cBw2flMnxaLi1MC6u0OTGOqY3WuM1EYJRxsOvHawpSsrfK2jPBWJqIp"
    "M3i79dvslTctrwRBcTJdFenI5iIvuirTFh4KUKjZ38zSJOFPUqAXa8BW+0NPJ9MGFGVEE8CSyczy4f2qUJH06FcYHcnIb3LK9xGyYzPJjgpf0oCN"
    "HMY5nHOgtMOqZ5Oi6XsE1UieaTrRbWy5wPpJIr2JaN70LI5zs9wUMH2bw8W0ZolmklRqg906q1PtoN1+ogcm4gAHRZyHvksALxqds4zHAFsS0JKP"
    "i8nZJfHK34sX+EBzLeNYSkcr6R7+pv1ym4VbDEtIHcuBx0oEgW65qXskHQuc97zA5Wa7LbToyayAvG1v/kcyLVqZjJ0otynwkKQxm/uMSCo/ZP8l"
    "vE9FXG53yaTg27J6KDd7frJZhSmkQYAx6FpJFMm29z7YFr0iFEltmrNwXReioyb105lZb0SmY0OUxArtrLxMViSbGlaNMzz5tyIEyOlUAOrtW0WI"
    "AVlTETIivsFPSIbTIsfTcpHZUdtoB9uADaXeqmzBZlZeGzyziE3pRWyptoJzwKukaJJjkUV4Q9eSvZ1Np/wTnBWwAazKSNTnWHj555ooODFvWDri"
    "dRYhguyIWOE/KHNZ+ihw1PuRNe2YHdEVMTwqbYBAwAMiQANMVpzsYrnxAwcOMAI6GwuAQQ7Hkx4nYYu5iilotnnN1Q6vuffeZ3sbV57cvfn43WtP"
    "7n9BfR99fxlT7W28s/fBxtOzt6jp8Zfv7128g14Pv/uKn3/z1ZO7V/nXH95/eO/83ocX8IPnlR5Hdz7f2d59W+xc2T23+67Yubp7bucO/mf82rm7"
    "c3P3vNjd2LmBF+d33xPodG7nG/y/tXN157rYfXv3wu5Z1t/O7d33aDSPu4qR13du++n+uHt+36/XyS1tVqR1wjVvERTAkBp90e10Dx16cEscoT4C"
    "gcGtIDCKB9f8GzFLfqQimv2NnAhTI7MrOXEppks89QRoArhKmw6epi24I4Ifo0+7gBHm3pwsDPak6oI84V+EIPYMOLrAMTgv0BqNXv8nsRZJp+Cz"
    "Tqw5nap1ZlOvWQBINFG9nIff5xOVuc/Bv71AOaSRLPNkkggaDnGwqzcWp/7uwMEJbwKnwPzYahLMyZjRoVFi0dokxAMS9BQRLZbccxMEYvA5BwZb"
    "8Q+wNdFQIrHtNragCd+wPo2ljqQl9NZN3oDfnVjJMN+Ej5yw5gffBK3gB1TGDGC4N/GfwouWM/ngrVqAjnQ2oyaecr//+8p6neocAmHJgG1qoKM3"
    "tUPI9pB0AhFT2IZ/mEPEw0uoG6QRdDmQFpAcKMkFLf1LUKkSb2JmIDkMIRrV6kk2gwyLuOqYPJVImLA0lMwaNNaJHthCUIdMQ9f9REnbKpepY4xM"
    "ETeHQ8b9KSngHAifaAPNcgiREq7zpmo05WR5rWtNlBETBCQ57MqLBzwGSKCxIwvnrVITTFITIhqiOO9yTiH2QBIxUN2MyZuZ7jpgsahv7bDKjC63"
    "sBIRFn4NhKu2Bl0Nuy4RpYggwqoorzui89YYsGagcZeoR1YJPV7nECdVTq04Cd6HZwBLNqGYROGgIb3AJpfLaugO4SRkZOvSlp8mjgKFoqhS3oGs"
    "tpLV+zjSBg12YWRPtWkx7qCIK8G1LFsgDqkHSUBYRqI+grtkUZY09V8uNweyLMoY9BCu0U9CgJ7V2rm+6Y9YyZKGq4IDwKdsLI1BDhFEqwXrKZiC"
    "D08zJqHAPVxFk7cjOwgmraIE8Sv3PGiwyIIyhDgAKvAXqAepSH2VEHVrSke8JsWXV8vPK9U7H42xlh3oHqxhqPzpiBWEMISIWN7zOqdzr6mbsblp"
    "LYy3Ds6nFAGo8C8IO4SmgNtTok82AmIMiqhMU3FijJYV1cihk3FxqE8GRVkS47P1WK3200AEdcr40EhDaAFkZ2ENn6g2m6oL74cKQ7PHVIONiW5G"
    "mQItGpBxmXI9Y80Y3AThXfssdJHAjmShBfLB9OIIwQRlrakl22Zc4fhAspBBESUwFDRAVzL/SkKenDgRzC6V7Fb4j1UAD9JNtkfoN0PWIUHmAb1A"
    "SB5KSoBQ4wGh0SsDO2xCO+DqYQtHLfL20cTwMGRVSOtYmzisbAVJJIBqqtrGKWWMWNCgeHrYb4WgCcla4VaV2Y8NaGRgoRval/w0SMAY8MJcYrUY"
    "H2CpRDrYHcKy7zI2Tck5eBSnbsOU0NFsRLynhod0CoBWiTtYYr9APJ/pEN+OwH4a7MInSMpMZYlqGE1SiIYGiTTjdeicUuEMQcmhV2xjcJQepmRa"
    "XksoS8GylmCMkzVvlONi2nCvvIDOjQs9ACe6zae4Hy1FzscLgrwKgCR75KX4vQd5MpbQJQvklVZ1tGYylKdeGAAJJ349GFVD0Ddo+lWZ2tpGMsRk"
    "6KVPPBTdmwokmOxQilQtW6LBhogLtcJbe8TBYQILOrhYeU8OMXI/NeaaYjKtAcINMSAFcpYCrmCDg1FLBheMZCV4S7cLWqq2nZMKmfKqzOrQerzc"
    "7LtyE4YlFJIXnKTGI0uLxEjGYPEpHVqPCkcGuQe6u3I7trEidiJ5/WN9DI3zvgAUx7GuZvIVt2n/IHMF8ox/6oC7BAKNhHUzoKHXX6vchiE4EHty"
    "hzZFz0a56eisi243QYxLYDrd8grBU6ObSJcrf7ZHbQQB4UkyJAnHqEwFvVdKqKHw8w7OH1HS4TMiDcuAieV109QSKaKtYJA7+FPK+IyaNoskI7of"
    "WPj5GdqrQwJwZz6ut5AZ49XXITeuiVflPW+RiYgksU3app/OrUrRlqA7JCw0liIqsazJi0HOLZKTpvSiURyuQbAcSxj2XVgr5D4LnDFDImzetNuF"
    "QUg1QaiQ8+AFgD+Wjt4gCEIKmeLnpIm8CSzgdJeLenbz6A83Ht//6PGXv394/y+Pf7vlsePR/1x59Nvv9j4+9+js1uNPzz36+sMnVy88vH/p6fUP"
    "/nrmLGdAv7my9+EnextbT9/Z8nEs71BJsxbGFqiBIPsIXKGBedmvV4K9zYMLaP7l+yFNFKc6MJLJbtenrlInnjxTttgMdULqOzGYkejyv9I/s8ic"
    "VTRj6DePrCqpLBW71RGLU1iBM5JIM1T3REaaejfs9sH8TDyUhtftgoDXw8Oi0glX6FojW5rHEU+PzbG43KOq9VXbqTVDiHaIDQVBFXqNiEL7EDGA"
    "6Vk2C/ijUiMgDmA5snr1giinGqv2vgDwVatjhpCWhjy7Yc0wSgVAU8dJX5l2nh/Xlxm+IP5SP6iF8iYSPGO5jPWzZUgok2CiOpq9JuVgch0qPNRW"
    "TVu1LSAySPJ1BrvB3Py6Bk+HiWIR0NQF5kYyKjXG50jKL7eTZWHBKajzUNQa3FTbTDoE//a5KqjejSgBsW2MdID20YkDUITBvkZSn3VBQXv6NA+W"
    "z4wNjn9ItjU5NPLE+pq15vqEMzFACBCfaip8jE5YVTQunH9478u9C1/t/Xjr4V8u06h6097FT7lp8+Lehe2nl36Er4/ULe7uXN25vfuO2PmOKxe7"
    "b+++t3NnZ2v3wu47XIO4jvdbeHlh9/zO1arXzhU83cG7ezu3d67ubgTyi1y9UQeNYxZx7Kcz98RaU7p1/ysvGutVrk3O2VGEAdzz5dDv5WEvbv9n"
    "31733gWgOkIQ8Zrwlv5Wo8gjOZftaKqe1zo/+L42V1UCbzZxaMnzJuIMD7kdEByMAXli1Xewqbq/zRiiFYM1+Ec103TuystCvlWUNydE6PhyXRbv"
    "TNOICoj7P1NFzUGOIQl6jqYOF6LczEQH/0Cd6DOy1eARM6a8SSs/d6vN8jplhhBTpSSj71oXMpg/i//cc63bOZX0EJ1/ro2a7T794uOnl79+njh7"
    "9y/tvXvx4f2Lj+/f+r8fPh3t6M2tSwl93dwefCnm6Y6NDu2geEW8Csm+4JLLCXXaQQAPsaA4lKQgYVpLvbl07AqlWGty/aczl9Ya/h2GIdgUiS92"
    "zVqklpTvcJE9Ie5ESMTvTtCljH8UP53/L38lkznR6E+IObTiVbdIAgesDJjNkeTgwokX5JRPPryg2M2bRUZXRZzon0uoGicGNSCfqHYA/DLy4YjW"
    "5FADItLsTAiqgaqG62DEaPAJCqBIUmkgsHu/8qQP0UDWhKg96A1yYW8jFDLQyMGfqkIcqCaIGDm6C2iO3JbMl5fb2nDBnsvDYS2QZL6WCKtNG6pq"
    "SFrIhdsSBmiZgeaJtLzMj69n2KXkgDWBcwEjJblG7ikWyHGw1svVQhxwejKsc8KzbropevbCYEFHXkqqHfjBJ4hAV0OhfCo9aV+g8KWNXIpWEvKS"
    "4F3P3+98Vt45TfUCPxf2lSnemdQj7HO+/Ox52lLt8gflj6bmXccCF+TOMtPD7ok0y4UzfVmNCK72+MYNdIYTvby3cRu98YsGPPz2/Yffnhk8vBce"
    "2MGMWskTutrMRpigbhskBZyvU/o47MXZelvRXeALcKGWT+9bOqOKI92je1NrUOGtocLZY5gvhDBFlBEUneehpoCfXapM9GtZ/7h4w+TVHIILnH2u"
    "CftsRNHFP6iQdETlSbbqywMVCaqfaf42wPo5tWnY077UIU3M9W9RTQ5EGKknnKjts2GNGWT4/u5WGmQxlLAXUMJBugs9KRuUUeW6iRjnr8w6sCLP"
    "LscmeaOshckGDaWawrKK/L007H67nWDkSCrva5ZEBTnpLj+jCgKl48ODYi+lNunnr7HI15RIX2TRedXD5TXEyGERFPiV6wZoJKZ1vrqTctml5tEL"
    "BfqXNxuKP3MIGbVoWCxe3uQtLhZIYmDhVvAHBLB9BAvrD96rNUv9/VWhqBIREY8ie2/IZcnF3UImbxUELX59O1738UWdgEMWIEV5rLNln0aUmx26"
    "n6NbQ5tbDT2oXIcKohwhlwgPpkipZOI5Zq+8Apw2/Y5yeQOhg/WCXMbTTDmwxdq4kbs8aMxA/XSx+cwhAHxqqueDoyvDsXD7Hnw+OEMxRvpMRKNw"
    "CavSX8gi1QjaLCpt/hnafCbKwuHbbWkABjVPJMboK1KACRecixLHOiQ8ufXHp/+98ejCRw+/v0GJ4cdfPf3k+6dnPn1y60809smfvnny46W9jSs+"
    "b3x69tbjW7c9Mshm0yJJ/Rks+NveqUxJ2pARVT9Sq10xCQVRLjkhj4LJkadSSrXgQmCd69eHnApf2YiXDvzSRxy6rkn7QzA5ppKu+IU4MvmrPFwD"
    "ZnRz06S7FIYD3XJ0yRrldU+eDK7KF74WJiZUxsW5qtAMC+B2f5PIr2ANzse9YzppKSxKPWTscxGdaJm0NJVU6v66MLgS8OJOZeU1RVeafOvqr6Dm"
    "bP2JAjG2kHJVAwAfeYDQEa1IZRDZdD+jnAgmOSwerlZpP4MbwXf8TYKuPVCColMKv5ZwMXypwGv0i2gknB6Hf8kiKuiingKmv/cuLF3ts229Din5"
    "d/3q3cIWgxksxLIrkf8GRc7BMYdPC3A/OGGkw9dgdbdiRhAUprmcNtiK6cjw+Cwf5ctqqIH0ENwnZfdh1dZcZk7mhU8qZSvUhiZjHEku+yPe8fj3"
    "3+/d/x1z0Y2LT+5+9+jO1t75D7hccuEj+MOTu188uvBNuJLVScLOAMurO8VRmVV2pukrNoNTBL6Ez52OKZm4TrDsnv+AaJr93GJHgXY2gQsmfDU2"
    "Tx85uTAaRGLEqo/K6pbvOEhjR/lwmCMcMQPkWqTOfQ+sEvMqcXW1RFX3UFoBdIA4+roHDqtmz69hO8HFC7r/Cd9nmfCdzpLtMyVnJ2l3AGr+66fJ"
    "pgOoI+2/Nlxg9LsamjgEkCnbBAsKH34VkSdbdBM21A7HFFmbOfK3w3OW3L5mwvMIFDLrcNfjUILT5TarW2U91Q83Ii4GNhZ8W0ZhZbRYugiuHbVh"
    "qpFX7DYr7Fi5mfiixkmVe6Q5QTFk1IxZW6F2skqW6zdV3vNOjV21A68+YR0lW3KED3qdBGUPNeJqA0ZLiieLVHb8VnPVkU6aAKLShW8iMu1GTHzv"
    "1vbe7Q028bev7N37ho37k41H337Lvzge8K/fffX4s7e9qdNlFw9Odaz+w7uPMfIf/pF+tdneW37lxXGsyKaaWNZvLFstpWIqHnvDMHD9xJ/Dcpa/"
    "cuDgQX/IU7Krg/gp0IpFblA6GaoKCaICf7jodZFFPW/IhzJid6n0XyJMSUTl2fKe9BXK0yrpSA/hszKLWxoxAFta/3+GeT0w"
)

_WORD = re.compile(r"\w{4,}", re.UNICODE)
_CJK = re.compile(r"[\u3400-\u9fff]{2}")


# --------------------------------------------------------------------------------------------------------------
# Pages

def heldout_half(text: str) -> bool:
    """The half of the data the detector's recipes keep for testing (bench/coherence_recipes.py ``half``)."""
    return hashlib.sha1(text[:300].encode()).digest()[0] >= 128


def split(text: str) -> list[str]:
    return [" ".join(text[a:b].split()) for a, b in sentence_spans(text)]


class Page:
    __slots__ = ("text", "lang", "origin", "sents", "vec", "norm")

    def __init__(self, text, lang, origin):
        self.text, self.lang, self.origin = text, lang, origin
        self.sents = [s for s in split(text) if s]
        self.vec = None
        self.norm = 0.0


def load_pages(data: str) -> dict[str, list[Page]]:
    raw: list[tuple[str, str | None, str]] = []
    with gzip.open(os.path.join(data, "crawl/web-pages.jsonl.gz"), "rt") as f:
        for line in f:
            d = json.loads(line)
            main = d.get("main_text") or ""
            if len(main) >= 600 and heldout_half(main):
                raw.append((main, None, "web"))
    # Web pages carry no language: winnow's own language step says which (en/de mostly).
    lang_step = steps.language(languages=[], min_score=0.0)
    docs = [Document(str(i), t) for i, (t, _, _) in enumerate(raw)]
    for d in lang_step(docs):
        pass
    raw = [(t, d.attributes.get("language.lang") if d.attributes.get("language.score", 0) >= 0.8 else None, o)
           for (t, _, o), d in zip(raw, docs)]
    for lang, folder in REGISTER.items():
        for fn in sorted(glob.glob(os.path.join(data, "crawl/register-multiling", folder, "*.tsv.gz"))):
            with gzip.open(fn, "rt", errors="replace") as f:
                for line in f:
                    labels, _, text = line.rstrip("\n").partition("\t")
                    if len(text) >= 600 and "MT" not in labels.split() and heldout_half(text):
                        raw.append((text, lang, "register"))
    for fn in sorted(glob.glob(os.path.join(data, "lines/turku-line-quality/*/dev.json.gz"))):
        lang = os.path.basename(os.path.dirname(fn))
        with gzip.open(fn, "rt") as f:
            for d in json.load(f):
                kept = "\n".join(x for x, y in zip(d["text"], d["labels"]) if str(y) == "1" and x.strip())
                if len(kept) >= 600:
                    raw.append((kept, lang, "turku"))
    pools: dict[str, list[Page]] = collections.defaultdict(list)
    for text, lang, origin in raw:
        if lang:
            p = Page(text, lang, origin)
            if len(p.sents) >= 8:
                pools[lang].append(p)
    return {lang: lst for lang, lst in sorted(pools.items()) if len(lst) >= 30}


def terms(text: str) -> collections.Counter:
    text = text.lower()
    return collections.Counter(_WORD.findall(text) + _CJK.findall(text))


class Similarity:
    """tf-idf cosine between pages of one pool (own weighting: log tf, idf from the pool)."""

    def __init__(self, pool: list[Page]):
        df: collections.Counter = collections.Counter()
        tfs = [terms(p.text) for p in pool]
        for tf in tfs:
            df.update(tf.keys())
        n = len(pool)
        for p, tf in zip(pool, tfs):
            # Words in more than a third of the pool are the language's glue, not its topic.
            p.vec = {w: (1 + math.log(c)) * math.log(n / df[w]) for w, c in tf.items() if df[w] <= n / 3}
            p.norm = math.sqrt(sum(v * v for v in p.vec.values())) or 1.0

    @staticmethod
    def cos(a: Page, b: Page) -> float:
        if len(a.vec) > len(b.vec):
            a, b = b, a
        return sum(v * b.vec.get(w, 0.0) for w, v in a.vec.items()) / (a.norm * b.norm)


def related(pool, seed, k, rng):
    cands = [p for p in rng.sample(pool, min(len(pool), 400)) if p is not seed]
    cands.sort(key=lambda p: -Similarity.cos(seed, p))
    return [seed] + cands[: k - 1]


def unrelated(pool, chosen, k, rng, limit=0.05):
    out = list(chosen)
    for p in rng.sample(pool, len(pool)):
        if len(out) >= k:
            break
        if all(p is not q and Similarity.cos(p, q) < limit for q in out):
            out.append(p)
    return out


# --------------------------------------------------------------------------------------------------------------
# Chrome

def load_chrome(path: str | None) -> dict:
    if path:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    return json.loads(zlib.decompress(base64.b64decode("".join(CHROME.split()))).decode())


def chrome_line(vocab: dict, lang: str, rng: random.Random) -> str:
    fam = rng.choice(sorted(k for k in vocab if k != "fill"))
    by_lang = vocab[fam]
    use = lang if lang in by_lang and rng.random() < 0.8 else "en"
    t = rng.choice(by_lang[use])
    fill = vocab["fill"]
    cats = fill["cat"].get(use, fill["cat"]["en"])
    y = rng.randint(2009, 2025)
    vals = {
        "n": rng.choice([20, 25, 30, 40, 49, 50, 60, 75, 99, 120, 150, 250, 1200, 3456]), "k": rng.randint(2, 9),
        "m": rng.randint(10, 48), "p": f"{rng.randint(3, 240)}.{rng.choice(['00', '49', '95', '99'])}",
        "q": f"{rng.randint(2, 150)}.99", "a": 1, "b": rng.choice([12, 20, 24, 36]),
        "sku": f"{rng.choice('ABKMXZ')}{rng.randint(10000, 99999)}-{rng.randint(10, 99)}",
        "user": rng.choice(fill["user"]), "user2": rng.choice(fill["user"]), "brand": rng.choice(fill["brand"]),
        "date": f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.{y}",
        "time": f"{rng.randint(0, 23)}:{rng.randint(0, 59):02d}",
        "year": y, "cat": rng.choice(cats), "sub": rng.choice(cats),
    }
    return t.format(**vals)


# --------------------------------------------------------------------------------------------------------------
# Recipes: each returns items [(unit, kind)] with kind None (page's own or a source's), "foreign" or "chrome",
# and layout breaks (a list of paragraph lengths) decided by lay_out.

def lay_out(items, rng):
    """Join units one line or with line breaks; return text, spans of each unit, layout name."""
    layout = rng.choice(("line", "breaks"))
    out, spans, pos = [], [], 0
    run = 0
    target = rng.randint(1, 4)
    for i, (u, kind) in enumerate(items):
        if i:
            if layout == "line":
                sep = " "
            elif kind == "chrome" or items[i - 1][1] == "chrome":
                sep = "\n"  # a chrome line is a line of its own on a page with line breaks
            else:
                run += 1
                if run >= target:
                    sep, run, target = "\n", 0, rng.randint(1, 4)
                else:
                    sep = " "
            out.append(sep)
            pos += len(sep)
        out.append(u)
        spans.append((pos, pos + len(u)))
        pos += len(u)
    return "".join(out), spans, layout


def recipe_spun(pool, vocab, rng, rel):
    k = rng.randint(2, 8)
    seed = rng.choice(pool)
    srcs = related(pool, seed, k, rng) if rel else unrelated(pool, [seed], k, rng)
    total = rng.randint(14, 40)
    share = rng.uniform(0.35, 0.6)
    items = []
    for j, p in enumerate(srcs):
        want = round(total * share) if j == 0 else max(2, round(total * (1 - share) / max(1, len(srcs) - 1)))
        items += [(s, None) for s in rng.sample(p.sents, min(want, len(p.sents)))]
    rng.shuffle(items)
    for _ in range(rng.randint(0, 2)):
        items.insert(rng.randrange(len(items) + 1), (chrome_line(vocab, seed.lang, rng), "chrome"))
    return items, len(srcs)


def citation(pool, rng):
    surname = rng.choice(["Okafor", "Lindqvist", "Moreau", "Haddad", "Kowalski", "Tanaka", "Ferreira", "Brennan", "Novak"])
    title = " ".join(rng.choice(pool).sents[0].split()[:9]).rstrip(".")
    journal = rng.choice(["Journal of Applied Studies", "Review of Regional History", "Annals of Practice",
                          "Quarterly Bulletin"])
    v, p1 = rng.randint(3, 60), rng.randint(1, 400)
    head = f"{surname}, {rng.choice('ABCDJKLMR')}. ({rng.randint(1961, 2023)}). {title}."
    return f"{head} {journal}, {v}({rng.randint(1, 4)}), {p1}–{p1 + rng.randint(5, 30)}."


def recipe_block(pool, vocab, rng, rel):
    k = rng.randint(2, 8)
    seed = rng.choice(pool)
    srcs = related(pool, seed, k, rng) if rel else unrelated(pool, [seed], k, rng)
    blocks = []
    for p in srcs:
        n = rng.randint(2, min(14, len(p.sents)))
        a = rng.randrange(0, len(p.sents) - n + 1)
        blocks.append([(s, None) for s in p.sents[a: a + n]])
    if rng.random() < 0.35:
        side = [(" ".join(rng.choice(pool).sents[0].split()[:12]), None) for _ in range(rng.randint(3, 7))]
        blocks.insert(rng.randrange(1, len(blocks) + 1), side)
    if rng.random() < 0.25:
        at = rng.randrange(1, len(blocks) + 1)
        blocks.insert(at, [(citation(pool, rng), None) for _ in range(rng.randint(3, 6))])
    items = [x for b in blocks for x in b]
    for _ in range(rng.randint(0, 3)):
        items.insert(rng.randrange(len(items) + 1), (chrome_line(vocab, seed.lang, rng), "chrome"))
    return items, len(srcs)


def recipe_intruded(pool, vocab, rng):
    host = rng.choice([p for p in rng.sample(pool, min(len(pool), 60)) if len(p.sents) >= 10] or pool)
    items = [(s, None) for s in host.sents]
    budget = rng.uniform(0.1, 0.3) * sum(len(s) for s in host.sents)
    donors = unrelated(pool, [host], 6, rng)[1:] or [p for p in pool if p is not host][:3]
    added, guard = 0, 0
    while added < budget and guard < 200:
        guard += 1
        d = rng.choice(donors)
        cand = [s for s in d.sents if len(s.split()) >= 4 or _CJK.search(s)]
        if not cand:
            continue
        at = rng.randrange(len(items) + 1)
        i0 = rng.randrange(len(cand))
        clump = cand[i0: i0 + rng.randint(1, 3)]
        for s in reversed(clump):
            items.insert(at, (s, "foreign"))
            added += len(s)
    for _ in range(rng.randint(2, 6)):
        items.insert(rng.randrange(len(items) + 1), (chrome_line(vocab, host.lang, rng), "chrome"))
    return items, 1


def recipe_untouched(pool, rng):
    p = rng.choice(pool)
    r = rng.random()
    if r < 0.34 and "\n" in p.text.strip():
        return p.text.strip(), "original"
    if r < 0.67:
        return " ".join(p.sents), "line"
    out, i = [], 0
    while i < len(p.sents):
        n = rng.randint(1, 4)
        out.append(" ".join(p.sents[i: i + n]))
        i += n
    return "\n".join(out), "breaks"


def build(pools, vocab, per_recipe, seed):
    langs = sorted(pools)
    # English weighs three times (the default pipeline's language), German twice; every other language once.
    order = [lg for lg in langs for _ in range({"en": 3, "de": 2}.get(lg, 1))]
    specs = []
    for recipe in RECIPES:
        rng = random.Random(f"heldout/{seed}/{recipe}")
        made, tries = 0, 0
        while made < per_recipe and tries < per_recipe * 20:
            tries += 1
            lang = order[made % len(order)]
            pool = pools[lang]
            if recipe == "untouched":
                text, layout = recipe_untouched(pool, rng)
                spec = {"text": text, "layout": layout, "items": None, "spans": None, "sources": 1}
            else:
                if recipe.startswith("spun"):
                    items, k = recipe_spun(pool, vocab, rng, recipe.endswith("_rel"))
                elif recipe.startswith("block"):
                    items, k = recipe_block(pool, vocab, rng, recipe.endswith("_rel"))
                else:
                    items, k = recipe_intruded(pool, vocab, rng)
                if k < 2 and recipe != "intruded":
                    continue
                text, spans, layout = lay_out(items, rng)
                spec = {"text": text, "layout": layout, "items": items, "spans": spans, "sources": k}
            if len(sentence_spans(spec["text"])) < 12:
                continue
            spec.update(recipe=recipe, lang=lang)
            specs.append(spec)
            made += 1
    return specs


# --------------------------------------------------------------------------------------------------------------
# Running the shipped steps

# Parameter overrides of the shipped steps (``--set stitched_document.tier=embed``): the opt-in tiers measured on
# the same pages as the defaults. Empty = the shipped defaults, which is what the issue's targets are about.
OVERRIDES: dict[str, dict] = {}


def parse_override(text: str) -> tuple[str, str, object]:
    """``step.field=value`` -> (step, field, value); the value is read as YAML (``0.4``, ``embed``, ``null``)."""
    import yaml

    key, sep, value = text.partition("=")
    step, dot, field = key.partition(".")
    if not (sep and dot and step and field):
        raise argparse.ArgumentTypeError(f"--set wants step.field=value, not {text!r}")
    return step, field, yaml.safe_load(value)


def default_steps(corpus: bool):
    """The default pipeline's steps in order, less the HTML extractor (the input is text) and the language filter
    (it edits nothing, and would drop every page not in English); corpus steps (the dedups) only if asked; with
    ``OVERRIDES`` applied (each checked by the step's own validation)."""
    path = resources.files("winnow") / "configs" / "default.yaml"
    pipe = load_pipeline(str(path))
    chain = [st for st in pipe.stages[0].steps
             if not getattr(st, "READS_HTML", False) and st.name != "language"
             and (corpus or not isinstance(st, CorpusStep))]
    unknown = set(OVERRIDES) - {st.name for st in chain}
    if unknown:
        raise SystemExit(f"--set names steps not in the chain: {', '.join(sorted(unknown))}")
    out = []
    for st in chain:
        if st.name in OVERRIDES:
            # built by the pipeline loader from the step's parameters and the overrides, so each is checked as in a
            # pipeline file: its name, its type (batch_size=2.5 or threshold=true were taken by
            # dataclasses.replace) and the step's validate() (an encoder without a prose threshold would run as a
            # silent no-op)
            spec = {k: v for k, v in component_to_dict(st).items() if k != "type"}
            try:
                st = build_from_class(type(st), st.name, {**spec, **OVERRIDES[st.name]}, "--set")
            except ConfigError as exc:
                raise SystemExit(str(exc)) from exc
        out.append(st)
    return out


def issue18_step(st) -> bool:
    """The steps of the coherence work that remove sentences or lines: the coherence module's and the line-noise
    model's (whatever their names become); stitched_document drops pages and edits nothing."""
    mod = type(st).__module__
    return ("coherence" in mod or "noise" in mod) and st.name != "stitched_document"


def run_chain(texts, chain, cpu):
    """Stream all documents through each step in turn with the public API (``step(docs)``: batching steps get
    batches, corpus steps collect and reduce over these documents). Returns per document: who (the 1-based index
    of the step that deleted each original character, 0 = kept), the first step that dropped it, whether
    ``stitched_document`` dropped it, and its attributes."""
    docs = [Document(str(i), t) for i, t in enumerate(texts)]
    origin = [list(range(len(t))) for t in texts]
    who = [bytearray(len(t)) for t in texts]
    first = [None] * len(texts)
    stitched = [False] * len(texts)
    for si, st in enumerate(chain, 1):
        before = [len(d.edits) for d in docs]
        t0 = time.process_time()
        docs = list(st(docs))
        cpu[st.name] += time.process_time() - t0
        for k, doc in enumerate(docs):
            if doc.drop is not None:
                if st.name == "stitched_document" and doc.drop.step == st.name:
                    stitched[k] = True
                first[k] = first[k] or doc.drop.step
                doc.drop = None  # keep editing: line removal is measured as if every page were kept
            new = doc.edits[before[k]:]
            # Edits of one application are sorted and do not overlap; a step that edits twice starts a new group.
            groups: list[list] = []
            for e in new:
                if groups and e.start >= groups[-1][-1].end:
                    groups[-1].append(e)
                else:
                    groups.append([e])
            o, w = origin[k], who[k]
            for g in groups:
                nxt, pos = [], 0
                for e in g:
                    nxt += o[pos: e.start]
                    if e.replacement == "":
                        for x in o[e.start: e.end]:
                            if x >= 0 and not w[x]:
                                w[x] = si
                    nxt += [-1] * len(e.replacement)
                    pos = e.end
                nxt += o[pos:]
                o = nxt
            origin[k] = o
    return [(who[k], first[k], stitched[k], docs[k].attributes) for k in range(len(docs))]


def gone(who, a, b, steps_idx=None):
    """A unit counts removed when at least half of its non-space characters were deleted (by the given steps)."""
    n = r = 0
    for i in range(a, b):
        n += 1
        if who[i] and (steps_idx is None or who[i] in steps_idx):
            r += 1
    return n > 0 and r >= 0.5 * n


def auc(pos, neg):
    if not pos or not neg:
        return float("nan")
    allv = sorted([(v, 1) for v in pos] + [(v, 0) for v in neg])
    rs, i, rank = 0.0, 0, 1
    while i < len(allv):
        j = i
        while j < len(allv) and allv[j][0] == allv[i][0]:
            j += 1
        rs += (rank + rank + (j - i) - 1) / 2 * sum(1 for x in allv[i:j] if x[1])
        rank += j - i
        i = j
    return (rs - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg))


def evaluate(specs, chain):
    names = [s.name for s in chain]
    off = {names.index("offtopic_sentences") + 1}
    coh = {i for i, st in enumerate(chain, 1) if issue18_step(st)}
    cpu: collections.Counter = collections.Counter()
    res = []
    for sp, (who, drop, stitched, attrs) in zip(specs, run_chain([sp["text"] for sp in specs], chain, cpu)):
        text = sp["text"]
        r = {"recipe": sp["recipe"], "lang": sp["lang"], "layout": sp["layout"], "flagged": stitched,
             "score": attrs.get("stitched_document.score", 0.0), "dropped_by": drop, "chars": len(text.encode())}
        if sp["items"] is not None:
            ins = {"foreign": [0, 0, 0, 0], "chrome": [0, 0, 0, 0]}
            host = [0, 0, 0, 0]
            for (u, kind), (a, b) in zip(sp["items"], sp["spans"]):
                acc = ins[kind] if kind else host
                acc[0] += 1
                acc[1] += gone(who, a, b, off)
                acc[2] += gone(who, a, b, coh)
                acc[3] += gone(who, a, b)
            r["ins"], r["host"] = ins, host
        else:
            ss = sentence_spans(text)
            r["sent"] = [len(ss), sum(gone(who, a, b, off) for a, b in ss), sum(gone(who, a, b, coh) for a, b in ss),
                         sum(gone(who, a, b) for a, b in ss)]
        res.append(r)
    return res, cpu


def eval_turku(data, chain):
    """Noise-line P/R per language; all dev documents of all languages go through the chain together (the corpus
    of its corpus steps)."""
    names = [s.name for s in chain]
    docs = []
    for fn in sorted(glob.glob(os.path.join(data, "lines/turku-line-quality/*/dev.json.gz"))):
        lang = os.path.basename(os.path.dirname(fn))
        with gzip.open(fn, "rt") as f:
            docs += [(lang, d) for d in json.load(f)]
    texts = ["\n".join(d["text"]) for _, d in docs]
    cpu: collections.Counter = collections.Counter()
    per: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for (lang, d), text, (who, _, _, _) in zip(docs, texts, run_chain(texts, chain, cpu)):
        c = per[lang]
        pos = 0
        for ln, y in zip(d["text"], d["labels"]):
            a, b = pos, pos + len(ln)
            pos = b + 1
            nz = [i for i in range(a, b) if not text[i].isspace()]
            if not nz:
                continue
            noise = str(y) == "0"
            rem_by = collections.Counter(who[i] for i in nz)
            rem_all = sum(v for k, v in rem_by.items() if k) >= 0.5 * len(nz)
            c["lines"] += 1
            c["noise"] += noise
            c["tp"] += rem_all and noise
            c["fp"] += rem_all and not noise
            for si, name in enumerate(names, 1):
                if rem_by[si] >= 0.5 * len(nz):
                    c[f"{name}.tp"] += noise
                    c[f"{name}.fp"] += not noise
    rows = sorted(per.items())
    tot: collections.Counter = collections.Counter()
    for _, c in rows:
        tot.update(c)
    rows.append(("all", tot))
    return rows, names


# --------------------------------------------------------------------------------------------------------------
# Report

def pct(a, b):
    return f"{100 * a / b:.1f}%" if b else "–"


def report(res, cpu, turku, args, commit, elapsed, coh_names):
    out = []
    p = out.append
    by = collections.defaultdict(list)
    for r in res:
        by[r["recipe"]].append(r)
    unt = by["untouched"]
    neg_scores = [r["score"] for r in unt]
    cut = sorted(neg_scores)[max(0, math.ceil(0.98 * len(neg_scores)) - 1)] if neg_scores else 1.0
    p(f"### Run {datetime.datetime.now():%Y-%m-%d %H:%M} on commit {commit} (seed {args.seed}, {args.per_recipe} per recipe)")
    p("")
    if args.note:
        p(args.note)
        p("")
    if OVERRIDES:
        p("**Not the shipped defaults**: " + ", ".join(f"`{st}.{f}: {v}`" for st, o in OVERRIDES.items()
                                                        for f, v in o.items()) + ".")
        p("")
    p("Flagged = `stitched_document` drops (default threshold 0.5); AUC = its score against the untouched pages; "
      "caught@2% = share scoring above the untouched pages' 98th percentile "
      f"({cut:.3f}) (what a threshold with <= 2% untouched flagged would catch).")
    p("")
    p("| recipe | pages | flagged | AUC vs untouched | caught@2% | one line: flagged | with breaks: flagged |")
    p("|---|---|---|---|---|---|---|")
    for rec in RECIPES:
        rs = by[rec]
        if not rs:
            continue
        f = sum(r["flagged"] for r in rs)
        one = [r for r in rs if r["layout"] == "line"]
        brk = [r for r in rs if r["layout"] != "line"]
        a = auc([r["score"] for r in rs], neg_scores) if rec != "untouched" else float("nan")
        caught = sum(r["score"] > cut for r in rs) if rec != "untouched" else None
        p(f"| {rec} | {len(rs)} | {pct(f, len(rs))} | {'–' if a != a else f'{a:.3f}'} | "
          f"{'–' if caught is None else pct(caught, len(rs))} | {pct(sum(r['flagged'] for r in one), len(one))} | "
          f"{pct(sum(r['flagged'] for r in brk), len(brk))} |")
    p("")
    langs = sorted({r["lang"] for r in res})
    p("Flagged per language:")
    p("")
    p("| lang | " + " | ".join(RECIPES) + " |")
    p("|---|" + "---|" * len(RECIPES))
    for lg in langs:
        cells = []
        for rec in RECIPES:
            rs = [r for r in by[rec] if r["lang"] == lg]
            cells.append(f"{pct(sum(r['flagged'] for r in rs), len(rs))} ({len(rs)})")
        p(f"| {lg} | " + " | ".join(cells) + " |")
    p("")
    ins = by["intruded"]
    if ins:
        def s(kind, col):
            return sum(r["ins"][kind][col] for r in ins)
        hf = sum(r["host"][0] for r in ins)
        p("Sentence removal (a unit counts removed when >= half its characters are deleted): by "
          "`offtopic_sentences` alone; by the sentence and line steps of the coherence work (" + coh_names + "); by "
          "every local step of the default pipeline (c4_quality's line rules included).")
        p("")
        p("| | offtopic_sentences | " + coh_names + " | all cleaning |")
        p("|---|---|---|---|")
        both = ("foreign", "chrome")

        def row(label, rs, kinds, kept=False):
            if kept:
                n = sum(r["host"][0] for r in rs)
                cells = [pct(n - sum(r["host"][c] for r in rs), n) for c in (1, 2, 3)]
            else:
                n = sum(r["ins"][k][0] for r in rs for k in kinds)
                cells = [pct(sum(r["ins"][k][c] for r in rs for k in kinds), n) for c in (1, 2, 3)]
            p(f"| {label} ({n}) | " + " | ".join(cells) + " |")
        row("intruded: inserted removed (foreign + chrome)", ins, both)
        row("intruded: foreign sentences removed", ins, ("foreign",))
        row("intruded: chrome lines removed", ins, ("chrome",))
        row("intruded: host sentences kept", ins, (), kept=True)
        for lay in ("line", "breaks"):
            row(f"intruded, {'one line' if lay == 'line' else 'with breaks'}: inserted removed",
                [r for r in ins if r["layout"] == lay], both)
    if unt:
        ns = sum(r["sent"][0] for r in unt)
        p(f"| untouched: sentences removed ({ns}) | " + " | ".join(pct(sum(r["sent"][c] for r in unt), ns)
                                                                   for c in (1, 2, 3)) + " |")
        why = collections.Counter(r["dropped_by"] for r in unt if r["dropped_by"])
        p(f"| untouched: pages some local filter drops (first: " + ", ".join(f"{k} {v}" for k, v in why.most_common())
          + f"; Gopher's stop-word rule is English-only) | | | {pct(sum(why.values()), len(unt))} |")
    p("")
    if ins:
        cells = []
        for lg in langs:
            rs = [r for r in ins if r["lang"] == lg]
            if rs:
                got = sum(r["ins"][k][2] for r in rs for k in ("foreign", "chrome"))
                n_in = sum(r["ins"][k][0] for r in rs for k in ("foreign", "chrome"))
                n_host = sum(r["host"][0] for r in rs)
                cells.append(f"{lg} {pct(got, n_in)} / {pct(n_host - sum(r['host'][2] for r in rs), n_host)}")
        p(f"Inserted removed / host kept per language (intruded, {coh_names}): " + ", ".join(cells))
        p("")
    for title, rows, tnames in turku or []:
        p(f"Turku line-quality dev split (human labels, noise = 0), {title} (lines of pages a filter would drop are "
          "judged on the edits alone; P/R per step: that step's deletions only):")
        p("")
        shown = [n for n in tnames if any(c[f"{n}.tp"] + c[f"{n}.fp"] for _, c in rows)]
        p("| lang | lines | noise | P all | R all | " + " | ".join(f"P/R {n}" for n in shown) + " |")
        p("|---|---|---|---|---|" + "---|" * len(shown))
        for lang, c in rows:
            tp, fp, nn = c["tp"], c["fp"], c["noise"]
            cells = [f"{c[n + '.tp'] / max(1, c[n + '.tp'] + c[n + '.fp']):.2f}/{c[n + '.tp'] / max(1, nn):.2f}"
                     for n in shown]
            p(f"| {lang} | {c['lines']} | {pct(nn, c['lines'])} | {tp / max(1, tp + fp):.2f} | {tp / max(1, nn):.2f} | "
              + " | ".join(cells) + " |")
        p("")
    # Against issue 18's targets (spun and block pages >= 95% flagged with <= 2% of untouched pages flagged;
    # inserted sentences >= 80% removed, host sentences >= 95% kept, <= 2% of untouched sentences removed;
    # Turku noise lines P >= 0.80, R >= 0.60).
    checks = []

    def share(rs, key):
        return sum(r[key] for r in rs) / max(1, len(rs))
    spun = by["spun_rel"] + by["spun_unrel"]
    block = by["block_rel"] + by["block_unrel"]
    checks.append(("spun flagged >= 95%", share(spun, "flagged"), share(spun, "flagged") >= 0.95))
    checks.append(("block flagged >= 95%", share(block, "flagged"), share(block, "flagged") >= 0.95))
    checks.append(("untouched flagged <= 2%", share(unt, "flagged"), share(unt, "flagged") <= 0.02))
    for c, tag in ((2, "coherence steps"), (3, "all cleaning")):
        if ins:
            t = sum(r["ins"][k][0] for r in ins for k in ("foreign", "chrome"))
            v = sum(r["ins"][k][c] for r in ins for k in ("foreign", "chrome")) / max(1, t)
            checks.append((f"inserted removed ({tag}) >= 80%", v, v >= 0.8))
            v = 1 - sum(r["host"][c] for r in ins) / max(1, sum(r["host"][0] for r in ins))
            checks.append((f"host kept ({tag}) >= 95%", v, v >= 0.95))
        if unt:
            v = sum(r["sent"][c] for r in unt) / max(1, sum(r["sent"][0] for r in unt))
            checks.append((f"untouched sentences removed ({tag}) <= 2%", v, v <= 0.02))
    for title, rows, _ in turku or []:
        c = rows[-1][1]
        pv, rv = c["tp"] / max(1, c["tp"] + c["fp"]), c["tp"] / max(1, c["noise"])
        tag = "+ line_dedup" if "line_dedup" in title else "local"
        checks.append((f"Turku noise ({tag}) P >= 0.80", pv, pv >= 0.8))
        checks.append((f"Turku noise ({tag}) R >= 0.60", rv, rv >= 0.6))
    p("**Against issue 18's targets**: " + "; ".join(
        f"{name}: {f'{v:.2f}' if 'Turku' in name else f'{v:.1%}'} {'PASS' if ok else 'FAIL'}" for name, v, ok in checks))
    p("")
    coh = cpu["offtopic_sentences"] + cpu["stitched_document"]
    kb = sum(r["chars"] for r in res) / max(1, len(res)) / 1000
    p(f"CPU: offtopic_sentences + stitched_document {coh:.1f} s for {len(res)} pages (mean {kb:.1f} KB) = "
      f"**{len(res) / max(coh, 1e-9):.0f} docs/s per core**; per step: "
      + ", ".join(f"{k} {v:.1f} s" for k, v in cpu.items()) + f"; whole run {elapsed:.0f} s CPU (building and "
      "Turku included). CPU time on a 2-core machine shared with other jobs: +-20% between runs.")
    p("")
    return "\n".join(out)


def describe(where: str) -> str:
    """The main commit the checkout is based on (a checkout of this script's branch adds only bench files), the last
    commit that changed src/, and whether src/ has local changes."""
    def git(*a):
        try:
            return subprocess.run(["git", *a], capture_output=True, text=True, cwd=where).stdout.strip()
        except OSError:
            return "?"
    base = git("merge-base", "HEAD", "main") or "HEAD"
    head = "main " + git("log", "-1", "--format=%h (%cd)", "--date=format:%Y-%m-%d %H:%M", base)
    src = git("log", "-1", "--format=%h", "--", "../src")
    dirty = " + uncommitted changes in src/" if git("status", "--porcelain", "--", "../src") else ""
    coh = git("log", "-1", "--format=%h", "--", "../src/winnow/steps/coherence/__init__.py", "../src/winnow/data/coherence")
    return f"{head}, last change to src/ {src}, to the coherence step or its models {coh}{dirty}"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--per-recipe", type=int, default=300)
    ap.add_argument("--seed", type=int, default=7301)
    ap.add_argument("--chrome", default=None, help="JSON file of chrome templates instead of the built-in ones")
    ap.add_argument("--dump-chrome", action="store_true", help="print the built-in chrome vocabulary and stop")
    ap.add_argument("--no-turku", action="store_true")
    ap.add_argument("--note", default=None, help="a line written under the run's heading")
    ap.add_argument("--append", default=None, help="append the run's section to this markdown file")
    ap.add_argument("--set", dest="overrides", action="append", default=[], type=parse_override,
                    metavar="STEP.FIELD=VALUE", help="override a shipped step's parameter (opt-in tiers); repeatable")
    args = ap.parse_args(argv)
    for step, field, value in args.overrides:
        OVERRIDES.setdefault(step, {})[field] = value
    vocab = load_chrome(args.chrome)
    if args.dump_chrome:
        print(json.dumps(vocab, ensure_ascii=False, indent=1))
        return 0
    t0 = time.process_time()
    pools = load_pages(args.data)
    for lst in pools.values():
        Similarity(lst)
    print("pools: " + ", ".join(f"{k} {len(v)}" for k, v in pools.items()), file=sys.stderr)
    specs = build(pools, vocab, args.per_recipe, args.seed)
    chain = default_steps(corpus=False)
    print("steps: " + ", ".join(s.name for s in chain), file=sys.stderr)
    res, cpu = evaluate(specs, chain)
    turku = []
    if not args.no_turku:
        turku.append(("the default pipeline's local steps", *eval_turku(args.data, default_steps(corpus=False))))
        full = default_steps(corpus=True)
        names = ", ".join(s.name for s in full if isinstance(s, CorpusStep))
        turku.append((f"the same with its corpus steps ({names}; the 736 dev documents as the corpus)",
                      *eval_turku(args.data, full)))
    commit = describe(os.path.dirname(os.path.abspath(__file__)))
    coh_names = " + ".join(st.name for st in chain if issue18_step(st))
    text = report(res, cpu, turku, args, commit, time.process_time() - t0, coh_names)
    print(text)
    if args.append:
        with open(args.append, "a", encoding="utf-8") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
