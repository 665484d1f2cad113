"""The list converter: every benchmark written as OmniReID lists reads back
as the same records."""
import json
import os.path as osp
import runpy
from types import SimpleNamespace

import fake_trees as ft
import pytest

# Importing the loaders registers them.
import mmreid_instruct.datasets  # noqa: F401
from mmreid_instruct.datasets.omnireid_list import OmniReIDList

TOOL = osp.join(
    osp.dirname(__file__), '..', '..', 'tools', 'dataset_converters',
    'benchmark_to_omnireid.py')


def load_tool():
    return SimpleNamespace(**runpy.run_path(TOOL))


CASES = [
    ('Market1501', ft.make_market1501, {}, None),
    ('DukeMTMCReID', ft.make_dukemtmc_reid, {}, None),
    ('MSMT17', ft.make_msmt17, {}, None),
    ('CUHK03', ft.make_cuhk03_np, dict(variant='detected'), None),
    ('CUHK03', ft.make_cuhk03_mat, {}, None),
    ('PRCC', ft.make_prcc, dict(clothes='same'), None),
    ('LTCC', ft.make_ltcc, {}, None),
    ('LTCC', ft.make_ltcc, {}, 'trad'),
    ('VCClothes', ft.make_vc_clothes, dict(mode='sc'), None),
    ('LLCM', ft.make_llcm, {}, None),
    ('SYSUMM01', ft.make_sysu_mm01, dict(mode='indoor'), None),
    ('CUHKPEDES', ft.make_cuhk_pedes, {}, None),
    ('ICFGPEDES', ft.make_icfg_pedes, {}, None),
    ('RSTPReid', ft.make_rstp_reid, {}, None),
]


@pytest.mark.parametrize('dataset_type, build, options, task', CASES)
def test_round_trip(tmp_path, dataset_type, build, options, task):
    tool = load_tool()
    build(tmp_path)
    summary = tool.convert(
        dataset_type, str(tmp_path), task=task, options=options)
    assert len(summary['lists']) == 3
    ir_cameras = summary['ir_cameras']
    assert ir_cameras == ([2, 5] if dataset_type == 'SYSUMM01' else [])
    for subset in ('train', 'query', 'gallery'):
        cfg = dict(
            type=dataset_type,
            data_root=str(tmp_path),
            subset=subset,
            **options)
        if task:
            cfg['task'] = task
        expected = ft.records_of(tool.DATASETS.build(cfg))
        name = expected[0]['dataset_name']
        got = ft.records_of(
            OmniReIDList(
                data_root=str(tmp_path),
                list_file=f'datalist/{subset}_{summary["task"]}.txt',
                task=summary['task'],
                subset=subset,
                dataset_name=name,
                ir_cameras=ir_cameras))
        if summary['task'] == 'cc':
            # The image is written as its own clothes reference.
            for record in got:
                assert record.pop('instruction_img_path') == \
                    record['img_path']
                record['instruction_img_path'] = None
        assert got == expected, subset


def test_captions_merge_and_conflict(tmp_path):
    tool = load_tool()
    ft.make_rstp_reid(tmp_path)
    ft.make_icfg_pedes(tmp_path)
    out = str(tmp_path / 'lists')
    tool.convert('RSTPReid', str(tmp_path), out_dir=out, suffix='_rstp')
    tool.convert('ICFGPEDES', str(tmp_path), out_dir=out, suffix='_icfg')
    with open(osp.join(out, 'captions.json')) as f:
        captions = json.load(f)
    assert len(captions) == 2 + 4 + 1 + 2
    with open(osp.join(out, 'query_t2i_rstp.txt')) as f:
        first = f.readline().split()
    assert first[0] == '-' and captions[first[1]].startswith('person 2')
    ft.write_json(
        osp.join(out, 'captions.json'), {k: 'changed'
                                         for k in captions})
    with pytest.raises(ValueError, match='another text'):
        tool.convert('RSTPReid', str(tmp_path), out_dir=out)


def test_rejects_bad_tasks_and_roots(tmp_path):
    tool = load_tool()
    base = ft.make_market1501(tmp_path)
    with pytest.raises(ValueError, match='task must be'):
        tool.convert('Market1501', str(tmp_path), task='ctcc')
    with pytest.raises(ValueError, match='inside --root'):
        tool.convert('Market1501', base, root=osp.join(base, 'query'))


def test_refuses_to_overwrite_lists_unless_told(tmp_path, monkeypatch, capsys):
    tool = load_tool()
    base = ft.make_market1501(tmp_path)
    out = str(tmp_path / 'lists')
    summary = tool.convert('Market1501', base, out_dir=out)
    query = osp.join(out, 'query_trad.txt')
    ft.write_text(query, ['kept/by/the/user.jpg - 1 0 0'])
    with pytest.raises(FileExistsError) as info:
        tool.convert('Market1501', base, out_dir=out)
    message = str(info.value)
    assert query in message and '--overwrite' in message
    with open(query) as f:  # nothing was written
        assert f.read() == 'kept/by/the/user.jpg - 1 0 0\n'
    # Another suffix writes other lists next to them.
    tool.convert('Market1501', base, out_dir=out, suffix='_copy')
    assert tool.convert(
        'Market1501', base, out_dir=out, overwrite=True) == summary
    with open(query) as f:
        assert 'kept/by/the/user.jpg' not in f.read()
    # The command line flag.
    monkeypatch.setattr(
        'sys.argv',
        [TOOL, 'Market1501', base, '--out-dir', out, '--overwrite'])
    tool.main()
    assert 'rows' in capsys.readouterr().out
