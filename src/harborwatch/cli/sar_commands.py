"""`harborwatch detect`, `detect-eval` (radar ship detection), `fuse`, `structures` (new structures) and
`railcars` (rail cars on sidings)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from harborwatch.cli.common import _load_sites, _stage_progress, app, check_table_path, err, out, write_table
from harborwatch.core.errors import DataError


@app.command()
def detect(
    images: Annotated[list[Path], typer.Argument(help="GeoTIFF, Sentinel-1 SAFE (folder or .zip), PNG or JPEG")],
    out_path: Annotated[Path | None, typer.Option("--out", "-o", help=".geojson, .csv or .parquet")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the GeoJSON FeatureCollection")] = False,
    grid: Annotated[Path | None, typer.Option("--grid", help="grid JSON placing plain images")] = None,
    pixel_m: Annotated[float | None, typer.Option("--pixel-m", help="pixel size of images that have none")] = None,
    mask: Annotated[Path | None, typer.Option("--mask", help="GeoJSON polygons to mask (lon/lat)")] = None,
    water: Annotated[Path | None, typer.Option(
        "--water", help="GeoJSON polygons that are water whatever the land mask says (harbour basins)")] = None,
    land_buffer_m: Annotated[float, typer.Option(
        "--land-buffer-m", help="buffer around the 1 km land mask (m); negative: no land mask")] = 200.0,
    polygons_crs: Annotated[str | None, typer.Option(
        "--polygons-crs", help="CRS of --mask / --water when not lon/lat, e.g. EPSG:32636")] = None,
    grey_db: Annotated[float | None, typer.Option(
        "--grey-db", help="plain images are dB-scaled quick-looks with this many dB per grey level")] = None,
    k: Annotated[float, typer.Option("--k", help="two-parameter CFAR threshold (z)")] = 4.0,
    no_filter: Annotated[bool, typer.Option("--no-filter", help="keep every CFAR candidate")] = False,
    split: Annotated[bool, typer.Option("--split-side-by-side", help="split objects whose profile across "
                                                                     "them has dark valleys (rafted ships)")] = False,
    method: Annotated[str, typer.Option("--method", help="two_parameter or gamma (CFAR), or learned (the "
                                                         "packaged network, for chips)")] = "two_parameter",
    precision: Annotated[str, typer.Option("--precision", help="learned: float, or int8 (the quantized network, "
                                                               "faster, a little less accurate)")] = "float",
) -> None:
    """Detect ships in radar images (CFAR, components, learned false-alarm filter)."""
    import pyarrow as pa

    from harborwatch.sar.detect import DETECTIONS, Detector
    from harborwatch.sar.detect import detect as run
    from harborwatch.sar.masks import read_polygons
    from harborwatch.sar.outputs import feature_collection, write_detections
    from harborwatch.sar.scene import open_scene

    p = Detector(k=k, land_buffer_m=land_buffer_m, use_filter=not no_filter, split_side_by_side=split, method=method,
                 learned_precision=precision)
    user = read_polygons(mask, polygons_crs) if mask else None
    water_geom = read_polygons(water, polygons_crs) if water else None
    tables = []
    scenes = []
    progress, say = _stage_progress(as_json)
    with progress:
        for img in images:
            scene = open_scene(img, grid=grid, pixel_m=pixel_m, grey_db=grey_db)
            scenes.append(scene.info())
            tables.append(run(scene, p, user, progress=lambda i, n, s=scene.name: say(s[:28], i, n), water=water_geom))
    t = pa.concat_tables(tables) if tables else DETECTIONS.empty_table()
    if out_path:
        write_detections(t, out_path, scenes)
    if as_json:
        out.print_json(json.dumps(feature_collection(t, scenes)))
        return
    for img, tab in zip(images, tables, strict=True):
        out.print(f"  {img.name}: {tab.num_rows} detections", highlight=False)
    if out_path:
        out.print(f"  wrote {out_path}", highlight=False)


@app.command("detect-eval")
def detect_eval(
    images: Annotated[Path, typer.Option("--images", help="folder of images")],
    labels: Annotated[Path, typer.Option("--labels", help="folder of YOLO .txt, VOC .xml or mask .png labels")],
    pixel_m: Annotated[float | None, typer.Option("--pixel-m", help="pixel size of images that have none")] = None,
    subset: Annotated[str, typer.Option("--split", help="all, or the tune / test half (by sorted name)")] = "all",
    k: Annotated[float, typer.Option("--k", help="two-parameter CFAR threshold (z)")] = 4.0,
    method: Annotated[str, typer.Option("--method", help="two_parameter, gamma or learned")] = "two_parameter",
    precision: Annotated[str, typer.Option("--precision", help="learned: float or int8")] = "float",
    as_json: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
) -> None:
    """Precision, recall and F1 of the detector on labelled images (centre-in-box and IoU >= 0.5)."""
    from harborwatch.core.errors import InputFileError
    from harborwatch.evaluation.chips import evaluate_folder, image_files, split
    from harborwatch.sar.detect import Detector

    if subset not in ("all", "tune", "test"):
        raise InputFileError(f"--split {subset!r}: use all, tune or test")
    only = None if subset == "all" else set(split([f.stem for f in image_files(images)])[subset])
    progress, say = _stage_progress(as_json)
    with progress:
        r = evaluate_folder(images, labels, Detector(k=k, method=method, learned_precision=precision), pixel_m=pixel_m,
                            only=only,
                            progress=lambda i, n: say("detect-eval", i, n))
    r["split"] = subset
    if as_json:
        out.print_json(json.dumps(r))
        return
    for rule in ("centre_in_box", "iou_0_5"):
        m = r[rule]
        out.print(f"  {rule:<14} precision {m['precision']:.3f}  recall {m['recall']:.3f}  F1 {m['f1']:.3f}  "
                  f"({m['tp']} of {m['truth']} ships, {m['detections']} detections)", highlight=False)
    if r["unlabelled"]:
        err.print(f"  {len(r['unlabelled'])} images without labels were skipped")


@app.command()
def fuse(
    detections: Annotated[Path, typer.Option("--detections", "-d", help="from `harborwatch detect --out`")],
    store: Annotated[Path, typer.Option("--store", "-s", help="store directory", envvar="HARBORWATCH_STORE")] = Path(
        "hw-store"),
    sites: Annotated[Path | None, typer.Option("--sites", help="site catalogue (default: the shipped one)")] = None,
    water: Annotated[Path | None, typer.Option("--water", help="harbour-basin polygons used by detect")] = None,
    chips: Annotated[Path | None, typer.Option("--chips", help="folder for PNG chips of dark detections")] = None,
    out_path: Annotated[Path | None, typer.Option("--out", "-o", help="fused rows as .csv or .parquet")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per scene and site")] = False,
) -> None:
    """Match radar detections with AIS at the acquisition time (matched, dark, AIS-only); dark detections become
    events."""
    from harborwatch.cli.common import _load_sites
    from harborwatch.fusion import Fusion, counts, dark_events, scenes_table, write_chips
    from harborwatch.fusion import fuse as run
    from harborwatch.sar.masks import read_polygons
    from harborwatch.sar.outputs import read_detections
    from harborwatch.store import Store

    check_table_path(out_path)
    t, scenes = read_detections(detections)
    if not scenes:
        err.print("[yellow]the detections file names no scenes (times, footprints): every detection counts as "
                  "dark; write it with `harborwatch detect --out` to keep them[/yellow]")
    p = Fusion()
    cat = _load_sites(sites)
    w = read_polygons(water) if water else None
    progress, say = _stage_progress(as_json)
    with progress, Store.open(store, create=False) as st:
        fused = run(st, t, scenes, p, cat, w, progress=lambda i, n: say("fuse", i, n))
        ev = dark_events(fused, t, scenes, p, write_chips(fused, t, scenes, chips) if chips is not None else None)
        added = st.put_rows("events", ev, "event_id") if ev.num_rows else 0
        if scenes:
            st.put_rows("scenes", scenes_table(scenes), "scene_id")
    if out_path is not None:
        write_table(fused, out_path)
    rows = counts(fused)
    if as_json:
        for r in rows:
            print(json.dumps(r, default=str, sort_keys=True))
        return
    from rich.table import Table

    tab = Table(title=f"{len(scenes)} scenes: {ev.num_rows} dark detections ({added} new dark_vessel events)")
    for c in ("scene", "time (UTC)", "site", "seen", "on AIS", "matched", "dark", "AIS only"):
        tab.add_column(c)
    for r in rows:
        tab.add_row(r["image"], str(r["time"])[:16], r["site_id"] or "-", str(r["seen"]), str(r["on_ais"]),
                    str(r["matched"]), str(r["dark"]), str(r["ais_only"]))
    out.print(tab)


@app.command("stac-search")
def stac_search(
    site: Annotated[str | None, typer.Option("--site", help="a site id of the catalogue (its radius as bbox)")] = None,
    bbox: Annotated[str | None, typer.Option("--bbox", help="west,south,east,north (degrees)")] = None,
    since: Annotated[str, typer.Option("--since", help="start date (ISO)")] = "2023-01-01",
    until: Annotated[str, typer.Option("--until", help="end date (ISO)")] = "2023-12-31",
    catalog: Annotated[str, typer.Option("--catalog", help="planetary-computer, cdse or a STAC API URL")] = (
        "planetary-computer"),
    items: Annotated[Path | None, typer.Option("--items", help="recorded STAC items instead of a search")] = None,
    sites: Annotated[Path | None, typer.Option("--sites", help="site catalogue (default: the shipped one)")] = None,
    out_path: Annotated[Path | None, typer.Option("--out", "-o", help="write the scenes as JSON")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per scene")] = False,
) -> None:
    """Find Sentinel-1 GRD scenes over a site or bbox and a date range (STAC)."""
    from harborwatch.cli.common import _load_sites
    from harborwatch.core.errors import InputFileError
    from harborwatch.sar.stac import read_items, search

    if site:
        cat = _load_sites(sites)
        row = next((r for r in cat.table.to_pylist() if r["site_id"] == site), None)
        if row is None:
            raise InputFileError(f"--site {site!r}: not in the site catalogue", hint="see `harborwatch sites`")
        import math

        dlat = max(row["radius_m"], 1000.0) / 111_195.0
        dlon = dlat / max(math.cos(math.radians(row["lat"])), 0.1)
        box = (row["lon"] - dlon, row["lat"] - dlat, row["lon"] + dlon, row["lat"] + dlat)
    elif bbox:
        try:
            parts = tuple(float(x) for x in bbox.split(","))
            assert len(parts) == 4
            box = (parts[0], parts[1], parts[2], parts[3])
        except (ValueError, AssertionError) as e:
            raise InputFileError(f"--bbox {bbox!r}: give west,south,east,north") from e
    else:
        raise InputFileError("give --site or --bbox")
    if items is not None:
        t0, t1 = since, until + "T23:59:59Z" if len(until) == 10 else until
        found = [s for s in read_items(items) if s["bbox"] and not (
            s["bbox"][2] < box[0] or s["bbox"][0] > box[2] or s["bbox"][3] < box[1] or s["bbox"][1] > box[3])
            and t0 <= s["time"] <= t1]
    else:
        found = search(box, since, until, catalog)
    if out_path:
        out_path.write_text(json.dumps(found, indent=1) + "\n")
    if as_json:
        for s in found:
            print(json.dumps(s, sort_keys=True))
        return
    for s in found:
        out.print(f"  {s['time'][:16]}  {s['platform'] or '-':<12} {s['orbit'] or '-':<10} {s['id']}", highlight=False)
    out.print(f"  {len(found)} scenes", highlight=False)


@app.command("evaluate-radar")
def evaluate_radar_cmd(
    truth: Annotated[Path, typer.Option("--truth", help="truth_scene_vessels.parquet of the simulated scenes")],
    fused: Annotated[Path, typer.Option("--fused", help="fused rows from `harborwatch fuse --out FILE.parquet`")],
    tol_m: Annotated[float, typer.Option("--tolerance-m", help="distance for a detection to count")] = 300.0,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Ship detection and dark-vessel classification against the simulated scenes' truth."""
    import pyarrow.parquet as pq

    from harborwatch.evaluation import evaluate_radar
    from harborwatch.fusion import FUSED

    r = evaluate_radar(pq.read_table(fused).select(FUSED.names).cast(FUSED), pq.read_table(truth), tol_m)
    if as_json:
        print(json.dumps(r, sort_keys=True))
        return
    for k in ("detection", "dark_vessel"):
        m = r[k]

        def f(x):
            return "-" if x is None else f"{x:.3f}"

        out.print(f"  {k:<12} truth {m['truth']:>4}  detected {m['detected']:>4}  precision {f(m['precision'])}  "
                  f"recall {f(m['recall'])}  F1 {f(m['f1'])}", highlight=False)


@app.command()
def structures(
    images: Annotated[list[Path], typer.Argument(help="co-registered scenes of one place (GeoTIFF, SAFE, images)")],
    out_path: Annotated[Path, typer.Option("--out", "-o", help="GeoJSON of the new structures")] = Path(
        "new_structures.geojson"),
    grid: Annotated[Path | None, typer.Option("--grid", help="grid JSON placing plain images")] = None,
    pixel_m: Annotated[float | None, typer.Option("--pixel-m", help="pixel size of images that have none")] = None,
    grey_db: Annotated[float | None, typer.Option(
        "--grey-db", help="plain images are dB-scaled quick-looks with this many dB per grey level")] = None,
    looks: Annotated[float, typer.Option("--looks", help="equivalent number of looks of one scene")] = 4.4,
    multilook: Annotated[int, typer.Option("--multilook", help="average blocks of N x N pixels first")] = 2,
    alpha: Annotated[float, typer.Option("--alpha", help="significance of each test")] = 1e-4,
    min_ratio_db: Annotated[float, typer.Option("--min-ratio-db", help="least brightening")] = 3.0,
    min_area_m2: Annotated[float, typer.Option("--min-area-m2", help="least area of a structure")] = 5_000.0,
    normalize: Annotated[bool, typer.Option(
        "--normalize", help="divide each scene by its median (quick-looks stretched scene by scene)")] = False,
    kind: Annotated[str, typer.Option("--kind", help="auto (GeoTIFFs of 3+ bands: optical), radar or optical "
                                                     "(say so for PNG / JPEG colour images)")] = "auto",
    min_change: Annotated[float, typer.Option("--min-change", help="optical: least relative change of a "
                                                                   "band")] = 0.25,
    as_json: Annotated[bool, typer.Option("--json", help="print the GeoJSON")] = False,
    store: Annotated[Path | None, typer.Option("--store", "-s", help="also add them to this store as "
                                                                      "new_structure events")] = None,
    sites: Annotated[Path | None, typer.Option("--sites", help="site catalogue naming their sites (with --store)")]
    = None,
) -> None:
    """New structures in a stack of radar scenes (places that brightened and stayed bright:
    sequential omnibus test) or of optical images (places whose colour changed once and stayed
    changed), as polygons with the date first seen and the area."""
    from harborwatch.sar.optical import image_kind, open_optical
    from harborwatch.sar.scene import open_scene
    from harborwatch.sar.structures import Structures, find_structures
    from harborwatch.sar.structures_optical import OpticalStructures, find_structures_optical

    if kind not in ("auto", "radar", "optical"):
        raise DataError(f"--kind {kind!r}: use auto, radar or optical")
    optical = kind == "optical" or (kind == "auto" and image_kind(images[0]) == "optical")
    if optical:
        g = find_structures_optical([open_optical(i, grid=grid, pixel_m=pixel_m) for i in images],
                                    OpticalStructures(multilook=multilook, alpha=alpha, min_change=min_change,
                                                      min_area_m2=min_area_m2))
    else:
        p = Structures(looks=looks, multilook=multilook, alpha=alpha, min_ratio_db=min_ratio_db,
                       min_area_m2=min_area_m2, normalize=normalize)
        g = find_structures([open_scene(i, grid=grid, pixel_m=pixel_m, grey_db=grey_db) for i in images], p)
    out_path.write_text(json.dumps(g) + "\n")
    if store is not None:
        from harborwatch.fusion import structure_events
        from harborwatch.store import Store

        with Store.open(store) as st:
            st.put_rows("events", structure_events(g, _load_sites(sites)), "event_id")
    if as_json:
        print(json.dumps(g))
        return
    out.print(f"{len(g['features'])} new structures in {len(images)} scenes -> {out_path}", highlight=False)
    for f in g["features"]:
        q = f["properties"]
        how = f"+{q['brightening_db']} dB" if "brightening_db" in q else f"colour changed by {q['change']:.0%}"
        out.print(f"  {q['id']}: first seen {q['first_seen']} (not yet on {q['last_before']}), "
                  f"{q['area_m2']} m2, {how}", highlight=False)


@app.command()
def railcars(
    images: Annotated[list[Path], typer.Argument(help="georeferenced images of a rail yard: radar (GeoTIFF, SAFE) "
                                                      "or optical (GeoTIFF of 3+ bands)")],
    tracks: Annotated[Path, typer.Option("--tracks", help="GeoJSON LineStrings of the sidings (lon / lat)")],
    site: Annotated[str, typer.Option("--site", help="site id the counts are for")],
    out_path: Annotated[Path | None, typer.Option("--out", "-o", help="counts CSV for `harborwatch counts`")] = None,
    kind: Annotated[str, typer.Option("--kind", help="auto (3+ bands: optical), radar or optical")] = "auto",
    threshold: Annotated[float | None, typer.Option(
        "--threshold", help="radar: occupied = this times the background (4); optical: colour this many spreads "
                            "from the ballast's (6)")] = None,
    car_m: Annotated[float, typer.Option("--car-m", help="track length a car takes (m)")] = 15.0,
    sun_azimuth: Annotated[float | None, typer.Option(
        "--sun-azimuth", help="optical: the sun's azimuth (degrees), if the image's tags lack SUN_AZIMUTH")] = None,
    sun_elevation: Annotated[float | None, typer.Option(
        "--sun-elevation", help="optical: the sun's elevation (degrees), if the tags lack SUN_ELEVATION")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per image")] = False,
) -> None:
    """Count rail cars standing on the sidings of a rail yard, along the track polylines: bright
    returns in radar images, a colour other than the ballast's in optical ones (shadows across the
    next siding are told apart with the sun's position); writes the counts as a CSV that
    `harborwatch counts` imports."""
    from harborwatch.ingest.counts import write_counts
    from harborwatch.sar.optical import image_kind
    from harborwatch.sar.railcars import RailCars, count_row, read_tracks
    from harborwatch.sar.railcars_optical import OpticalRailCars, optical_count_row
    from harborwatch.sar.scene import open_scene

    if kind not in ("auto", "radar", "optical"):
        raise DataError(f"--kind {kind!r}: use auto, radar or optical")
    lines = read_tracks(tracks)
    radar = RailCars(car_m=car_m) if threshold is None else RailCars(threshold=threshold, car_m=car_m)
    optical = OpticalRailCars(car_m=car_m, sun_azimuth_deg=sun_azimuth, sun_elevation_deg=sun_elevation,
                              **({} if threshold is None else {"threshold": threshold}))
    rows = []
    for img in images:
        k = image_kind(img) if kind == "auto" else kind
        if k == "optical":
            row, c = optical_count_row(img, lines, site, "harborwatch railcars (optical)", optical)
        else:
            row, c = count_row(open_scene(img), lines, site, "harborwatch railcars", radar)
        rows.append(row)
        if as_json:
            print(json.dumps({**row, "kind": k, "tracks": c["tracks"]}), flush=True)
        else:
            trains = sum(t["trains"] for t in c["tracks"])
            out.print(f"  {row['note']} ({k}): {c['cars']} cars in {trains} trains", highlight=False)
    if out_path is not None:
        write_counts(rows, out_path)
        if not as_json:
            out.print(f"{len(rows)} counts -> {out_path} (import with: harborwatch counts {out_path})", highlight=False)
