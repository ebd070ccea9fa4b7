"""Integer codes of a key column, as `pd.factorize` gives them, faster on pyarrow-backed text."""

from __future__ import annotations

import numpy as np
import pandas as pd


def key_codes(col: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """`pd.factorize(col)`: a code per row in order of first appearance (-1 where missing), and the values.

    For pyarrow-backed text (what Parquet's strings read as) pandas runs the same pyarrow kernel
    (`dictionary_encode`) and then widens its int32 codes to int64, a copy that on 10 million rows cost
    as much as the encoding; here the int32 codes are kept. Equal values get equal codes either way."""
    dtype = col.dtype
    if not (isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"):
        return pd.factorize(col)
    import pyarrow.compute as pc  # loaded already: the column is pyarrow's

    encoded = pc.dictionary_encode(col.array.__arrow_array__(), null_encoding="mask").combine_chunks()
    indices = encoded.indices
    if indices.null_count:
        indices = pc.fill_null(indices, -1)
    return indices.to_numpy(zero_copy_only=False), pd.Index(pd.array(encoded.dictionary, dtype=dtype))
