"""Builders of tiny fake benchmark trees for the loader tests.

Images are a few bytes of a valid 4x2 PNG, whatever their ending, so that
they can also be decoded if a test needs it.
"""
import json
import os
import os.path as osp
from functools import partial

import cv2
import numpy as np

_IMAGE_BYTES = cv2.imencode('.png', np.zeros((4, 2, 3), np.uint8))[1].tobytes()


def touch_image(path):
    """Write a tiny image at ``path``, creating its folders."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(_IMAGE_BYTES)
    return path


def touch_images(folder, names):
    """Write tiny images ``folder/<name>`` for each name."""
    return [touch_image(osp.join(folder, n)) for n in names]


def write_text(path, lines):
    """Write ``lines`` (one per line) to ``path``, creating its folders."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(''.join(f'{line}\n' for line in lines))
    return path


def write_json(path, obj):
    """Write ``obj`` as JSON to ``path``, creating its folders."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(obj, f)
    return path


# Each builder below writes a tiny copy of one benchmark under ``root`` as
# the archive unpacks (the archive folder inside ``root``) and returns the
# archive folder.

#: Benchmarks that keep the labels in the image names: the images of each
#: subset folder of the archive folder.
NAMED_IMAGES = {
    'Market-1501-v15.09.15': {
        'bounding_box_train':
        '0002_c1s1_000451_03.jpg 0002_c2s1_000301_01.jpg '
        '0007_c3s3_064169_01.jpg 0007_c6s3_094167_02.jpg '
        '0011_c4s1_002726_01.jpg',
        'query':
        '0001_c1s1_001051_00.jpg 0003_c5s1_000401_00.jpg',
        'bounding_box_test':
        '-1_c1s1_000401_03.jpg 0000_c1s1_000151_01.jpg '
        '0001_c2s1_000301_01.jpg 0003_c1s1_000401_01.jpg '
        '-1_c3s1_000551_01.jpg',
    },
    'DukeMTMC-reID': {
        'bounding_box_train':
        '0005_c2_f0046985.jpg 0005_c5_f0051781.jpg 0007_c8_f0007512.jpg',
        'query': '0019_c1_f0086496.jpg',
        'bounding_box_test': '0019_c4_f0087331.jpg 0033_c7_f0068321.jpg',
    },
    'LTCC_ReID': {
        'train': '001_1_c11_015833.png 001_2_c4_015879.png '
        '045_1_c1_008976.png',
        'query': '010_3_c12_000115.png',
        'test': '010_1_c2_000211.png 010_3_c5_000301.png '
        '020_1_c12_000002.png',
    },
    'VC-Clothes': {
        'train':
        '0001-01-01-01.jpg 0001-03-02-01.jpg 0004-04-01-02.jpg',
        'query':
        '0300-01-01-01.jpg 0300-02-01-01.jpg 0300-03-02-01.jpg '
        '0300-04-02-01.jpg',
        'gallery':
        '0300-01-01-02.jpg 0300-02-01-02.jpg 0300-03-02-02.jpg '
        '0300-04-02-02.jpg 0301-03-01-01.jpg',
    },
}
#: Other files of those archives: their lines.
TEXT_FILES = {
    'Market-1501-v15.09.15': {
        'bounding_box_train/Thumbs.db': ['x']
    },
    'LTCC_ReID': {
        'info/cloth-change_id_test.txt': ['10']
    },
}


def make_named_images(root, archive):
    """Write the files of ``archive`` (see :data:`NAMED_IMAGES` and
    :data:`TEXT_FILES`); return the archive folder."""
    base = osp.join(root, archive)
    for folder, names in NAMED_IMAGES[archive].items():
        touch_images(osp.join(base, folder), names.split())
    for path, lines in TEXT_FILES.get(archive, {}).items():
        write_text(osp.join(base, path), lines)
    return base


make_market1501 = partial(make_named_images, archive='Market-1501-v15.09.15')
make_dukemtmc_reid = partial(make_named_images, archive='DukeMTMC-reID')
make_ltcc = partial(make_named_images, archive='LTCC_ReID')
make_vc_clothes = partial(make_named_images, archive='VC-Clothes')


def make_msmt17(root, version='v1'):
    base = osp.join(root, f'MSMT17_{version.upper()}')
    train_dir, test_dir = (('train', 'test') if version == 'v1' else
                           ('mask_train_v2', 'mask_test_v2'))
    lists = {
        'list_train.txt': (train_dir, [
            '0000/0000_000_01_0303morning_0015_0.jpg 0',
            '0000/0000_001_05_0303morning_0036_1.jpg 0',
            '0001/0001_000_14_0303noon_0210_0.jpg 1'
        ]),
        'list_val.txt':
        (train_dir, ['0002/0002_000_15_0303afternoon_0101_0.jpg 2']),
        'list_query.txt': (test_dir, [
            '0000/0000_000_10_0303morning_0052_1.jpg 0',
            '0001/0001_003_02_0303noon_0088_0.jpg 1'
        ]),
        'list_gallery.txt': (test_dir, [
            '0000/0000_001_03_0303morning_0114_0.jpg 0',
            '0001/0001_000_07_0303noon_0211_0.jpg 1',
            '0001/0001_002_12_0303noon_0301_0.jpg 1'
        ]),
    }
    for name, (folder, lines) in lists.items():
        write_text(osp.join(base, name), lines)
        for line in lines:
            touch_image(osp.join(base, folder, line.split()[0]))
    return base


#: Images of the fake CUHK03: (camera pair, pid within pair, cell index
#: 1..10) -> global pid; cells 1-5 are view 1, 6-10 view 2.
CUHK03_IMAGES = {
    (1, 1, 1): 1,
    (1, 1, 6): 1,
    (1, 1, 7): 1,
    (1, 2, 2): 2,
    (1, 2, 9): 2,
    (2, 1, 1): 3,
    (2, 1, 6): 3,
    (2, 2, 3): 4,
    (2, 2, 8): 4,
}
#: New-protocol split of the fake CUHK03: train pids 1, 2; test 3, 4.
CUHK03_SPLIT = dict(train=(1, 2), test=(3, 4))


def _cuhk03_name(pair, person, index):
    view = 1 if index <= 5 else 2
    return f'{pair}_{person:03d}_{view}_{index:02d}.png'


def _cuhk03_subset(pid, view):
    if pid in CUHK03_SPLIT['train']:
        return 'train'
    return 'query' if view == 1 else 'gallery'


def make_cuhk03_np(root):
    """CUHK03-NP folders holding the images of :data:`CUHK03_IMAGES`."""
    base = osp.join(root, 'cuhk03-np')
    dirs = dict(
        train='bounding_box_train', query='query', gallery='bounding_box_test')
    for variant in ('labeled', 'detected'):
        for (pair, person, index), pid in CUHK03_IMAGES.items():
            view = 1 if index <= 5 else 2
            folder = dirs[_cuhk03_subset(pid, view)]
            touch_image(
                osp.join(base, variant, folder,
                         f'{pid:04d}_c{view}_{index}.png'))
    return base


def make_cuhk03_mat(root, config_in_release=False):
    """The raw ``cuhk-03.mat`` (HDF5, as MATLAB v7.3 writes it) and the
    new-protocol split files (MATLAB v5, as released)."""
    import h5py
    from scipy.io import savemat

    base = osp.join(root, 'cuhk03')
    release = osp.join(base, 'cuhk03_release')
    os.makedirs(release)
    with h5py.File(osp.join(release, 'cuhk-03.mat'), 'w') as f:
        refs = f.create_group('#refs#')

        def store(array):
            return refs.create_dataset(f'r{len(refs)}', data=array).ref

        for variant in ('labeled', 'detected'):
            pair_refs = np.empty((1, 2), dtype=h5py.ref_dtype)
            for pair in (1, 2):
                # MATLAB's persons x 10 cell, stored transposed by HDF5.
                cells = np.empty((10, 2), dtype=h5py.ref_dtype)
                for person in (1, 2):
                    for index in range(1, 11):
                        if (pair, person, index) in CUHK03_IMAGES:
                            img = np.full((6, 3, 3), index, np.uint8)
                            img[..., 0] = 200  # red, to check RGB order
                            cells[index - 1, person - 1] = store(img.T)
                        else:
                            cells[index - 1,
                                  person - 1] = store(np.zeros(2, np.uint64))
                pair_refs[0, pair - 1] = store(cells)
            f.create_dataset(variant, data=pair_refs)
    names = [_cuhk03_name(*key) for key in CUHK03_IMAGES]
    labels = list(CUHK03_IMAGES.values())
    views = [int(n.split('_')[2]) for n in names]
    idx = {s: [] for s in ('train', 'query', 'gallery')}
    for i, (pid, view) in enumerate(zip(labels, views), 1):
        idx[_cuhk03_subset(pid, view)].append(i)
    config_dir = release if config_in_release else base
    for variant in ('labeled', 'detected'):
        filelist = np.empty((len(names), 1), dtype=object)
        for i, name in enumerate(names):
            filelist[i, 0] = name
        savemat(
            osp.join(config_dir, f'cuhk03_new_protocol_config_{variant}.mat'),
            dict(
                filelist=filelist,
                labels=np.array(labels, np.float64).reshape(-1, 1),
                camId=np.array(views, np.float64).reshape(-1, 1),
                train_idx=np.array(idx['train'], np.float64).reshape(-1, 1),
                query_idx=np.array(idx['query'], np.float64).reshape(-1, 1),
                gallery_idx=np.array(idx['gallery'],
                                     np.float64).reshape(-1, 1)))
    return base


def make_prcc(root):
    base = osp.join(root, 'prcc', 'rgb')
    touch_images(
        osp.join(base, 'train', '001'), [
            'A_cropped_rgb001.jpg', 'B_cropped_rgb010.jpg',
            'C_cropped_rgb020.jpg'
        ])
    touch_images(
        osp.join(base, 'train', '003'),
        ['A_cropped_rgb001.jpg', 'C_cropped_rgb002.jpg'])
    touch_images(osp.join(base, 'val', '001'), ['A_cropped_rgb005.jpg'])
    for cam, pids in (('A', (312, 315)), ('B', (312, )), ('C', (312, 315))):
        for pid in pids:
            touch_images(
                osp.join(base, 'test', cam, str(pid)),
                ['cropped_rgb001.jpg', 'cropped_rgb004.jpg'])
    return base


def make_llcm(root):
    base = osp.join(root, 'LLCM')
    vis = [
        'vis/0001/0001_c01_s185535_f7010_vis.jpg 0',
        'vis/0003/0003_c04_s185535_f7500_vis.jpg 1'
    ]
    nir = [
        'nir/0001/0001_c02_s185535_f7010_nir.jpg 0',
        'nir/0003/0003_c09_s185535_f7600_nir.jpg 1'
    ]
    write_text(osp.join(base, 'idx', 'train_vis.txt'), vis)
    write_text(osp.join(base, 'idx', 'train_nir.txt'), nir)
    for line in vis + nir:
        touch_image(osp.join(base, line.split()[0]))
    write_text(osp.join(base, 'idx', 'test_id.txt'), ['2,5'])
    touch_images(
        osp.join(base, 'test_vis', 'cam1', '0002'), ['a.jpg', 'b.jpg'])
    touch_images(osp.join(base, 'test_vis', 'cam3', '0005'), ['a.jpg'])
    touch_images(osp.join(base, 'test_nir', 'cam1', '0002'), ['a.jpg'])
    touch_images(osp.join(base, 'test_nir', 'cam9', '0005'), ['a.jpg'])
    # A test folder of a person who is not in test_id.txt is not read.
    touch_images(osp.join(base, 'test_nir', 'cam9', '0007'), ['a.jpg'])
    return base


def make_sysu_mm01(root):
    base = osp.join(root, 'SYSU-MM01')
    write_text(osp.join(base, 'exp', 'train_id.txt'), ['1,2'])
    write_text(osp.join(base, 'exp', 'val_id.txt'), ['3'])
    write_text(osp.join(base, 'exp', 'test_id.txt'), ['6,9'])
    images = {1: (1, 3), 2: (2, 6), 3: (4, ), 6: (1, 3, 5, 6), 9: (2, 4, 6)}
    for cam in range(1, 7):
        os.makedirs(osp.join(base, f'cam{cam}'), exist_ok=True)
    for pid, cams in images.items():
        for cam in cams:
            touch_images(
                osp.join(base, f'cam{cam}', f'{pid:04d}'),
                ['0001.jpg', '0002.jpg'])
    return base


def _pedes_entries(path_key, paths_ids_splits, captions_per_image):
    return [{
        'id':
        pid,
        path_key:
        path,
        'split':
        split,
        'captions': [
            f'person {pid} caption {k} of {path}'
            for k in range(captions_per_image)
        ]
    } for path, pid, split in paths_ids_splits]


def make_t2i_tree(root,
                  folder,
                  ann_name,
                  path_key,
                  rows,
                  captions_per_image=2):
    """A text-to-image benchmark: ``folder/imgs/<path>`` and the JSON
    annotation list ``folder/<ann_name>``."""
    base = osp.join(root, folder)
    for path, _, _ in rows:
        touch_image(osp.join(base, 'imgs', path))
    write_json(
        osp.join(base, ann_name),
        _pedes_entries(path_key, rows, captions_per_image))
    return base


def make_cuhk_pedes(root):
    return make_t2i_tree(root, 'CUHK-PEDES', 'reid_raw.json', 'file_path', [
        ('train_query/p2_s1.jpg', 2, 'train'),
        ('CUHK01/0001001.png', 1, 'train'),
        ('CUHK01/0001002.png', 1, 'train'),
        ('test_query/p9_s1.jpg', 9, 'test'),
        ('Market/0007_c1.jpg', 7, 'test'),
        ('CUHK03/5_1.png', 5, 'val'),
    ])


def make_icfg_pedes(root):
    return make_t2i_tree(
        root,
        'ICFG-PEDES',
        'ICFG-PEDES.json',
        'file_path', [
            ('train/0001/0001_010_01_0303morning_0016_0.jpg', 1, 'train'),
            ('test/0002/0002_001_01_0303morning_0020_0.jpg', 2, 'test'),
            ('test/0002/0002_004_01_0303morning_0030_0.jpg', 2, 'test'),
        ],
        captions_per_image=1)


def make_rstp_reid(root):
    return make_t2i_tree(root, 'RSTPReid', 'data_captions.json', 'img_path', [
        ('0000_c14_0031.jpg', 0, 'train'),
        ('0001_c5_0002.jpg', 1, 'val'),
        ('0002_c7_0002.jpg', 2, 'test'),
        ('0002_c9_0014.jpg', 2, 'test'),
    ])


def records_of(dataset):
    """All records of a dataset, without mmengine's ``sample_idx``."""
    records = []
    for i in range(len(dataset)):
        record = dataset.get_data_info(i)
        record.pop('sample_idx')
        records.append(record)
    return records
