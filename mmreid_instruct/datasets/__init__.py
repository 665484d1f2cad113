from .base_reid_dataset import (RECORD_KEYS, SUBSETS, BaseReIDDataset,
                                check_record, make_record, relabel_pids)
from .benchmark_dataset import BenchmarkDataset
from .cuhk03 import CUHK03
from .cuhk_pedes import CUHKPEDES
from .dukemtmc_reid import DukeMTMCReID
from .folder_reid_dataset import FolderReIDDataset
from .icfg_pedes import ICFGPEDES
from .llcm import LLCM
from .ltcc import LTCC
from .market1501 import Market1501
from .msmt17 import MSMT17
from .omnireid_list import OmniReIDList
from .prcc import PRCC
from .reid_concat_dataset import ReIDConcatDataset
from .rstp_reid import RSTPReid
from .samplers import *  # noqa: F401,F403
from .synth_omnireid import SynthOmniReID
from .sysu_mm01 import SYSUMM01
from .t2i_json_dataset import T2IJsonDataset
from .transforms import *  # noqa: F401,F403
from .vc_clothes import VCClothes

__all__ = [
    'RECORD_KEYS', 'SUBSETS', 'BaseReIDDataset', 'check_record', 'make_record',
    'relabel_pids', 'OmniReIDList', 'SynthOmniReID', 'ReIDConcatDataset',
    'BenchmarkDataset', 'FolderReIDDataset', 'T2IJsonDataset', 'Market1501',
    'DukeMTMCReID', 'MSMT17', 'CUHK03', 'PRCC', 'LTCC', 'VCClothes', 'LLCM',
    'SYSUMM01', 'CUHKPEDES', 'ICFGPEDES', 'RSTPReid'
]
