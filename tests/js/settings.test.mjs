// static/js/settings.js: the settings a link carries.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { readSettings, shareLink } from '../../static/js/settings.js';

test('known values are read, unknown or out-of-range ones fall back to the defaults', () => {
  const defaults = readSettings('');
  const s = readSettings('?mode=server&backend=quantum&smooth=300&confidence=7&model=mini_xception');
  assert.equal(s.mode, 'server');
  assert.equal(s.backend, defaults.backend);
  assert.equal(s.smooth, 300);
  assert.equal(s.confidence, defaults.confidence);
  assert.equal(s.model, 'mini_xception');
  assert.equal(readSettings('?model=../secrets').model, defaults.model);
});

test('a shared link reopens the same settings', () => {
  const s = readSettings('?mode=browser&backend=wasm&smooth=0&redetect=0&unsure=0.3');
  const link = shareLink(s, { origin: 'https://example.test', pathname: '/' });
  assert.ok(link.startsWith('https://example.test/?'));
  assert.deepEqual(readSettings(new URL(link).search), s);
});
