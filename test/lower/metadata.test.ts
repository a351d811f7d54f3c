import { describe, expect, test } from 'vitest';
import { isControlLabel, isLabelKey, isLabelValue, selectorLabels, serviceLabels, toLabelValue } from '../../src/lower/metadata.js';
import { find, lower, project } from './helpers.js';

describe('metadata', () => {
  test('label keys and values', () => {
    expect(isLabelKey('app.kubernetes.io/name')).toBe(true);
    expect(isLabelKey('has space')).toBe(false);
    expect(isLabelKey('Example.com/x')).toBe(false);
    expect(isLabelValue('')).toBe(true);
    expect(isLabelValue('a'.repeat(64))).toBe(false);
    expect(toLabelValue('my project!')).toBe('my-project');
    const long = toLabelValue('x'.repeat(100));
    expect(isLabelValue(long)).toBe(true);
  });
  test('the selector is a subset of the service labels', () => {
    expect(serviceLabels('p', 'web')).toMatchObject(selectorLabels('p', 'web'));
    expect(Object.keys(selectorLabels('p', 'web')).sort()).toEqual(['app.kubernetes.io/component', 'app.kubernetes.io/instance']);
  });
  test('control labels are recognised', () => {
    expect(isControlLabel('kompose.hpa.cpu')).toBe(true);
    expect(isControlLabel('com.docker.compose.project')).toBe(true);
    expect(isControlLabel('com.example')).toBe(false);
  });
  test('x-kubernetes labels reach every object but never the selector; podLabels cannot override it', () => {
    const r = lower(
      project({
        web: {
          image: 'x',
          'x-kubernetes': { labels: { team: 'a', 'app.kubernetes.io/component': 'evil' }, podLabels: { 'app.kubernetes.io/instance': 'evil', v: '1' } },
        },
      }),
    );
    const d = find(r.objects, 'Deployment', 'web');
    expect(d.metadata.labels.team).toBe('a');
    expect(d.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/instance': 'demo', 'app.kubernetes.io/component': 'web' });
    expect(d.spec.template.metadata.labels).toMatchObject({ ...d.spec.selector.matchLabels, v: '1', team: 'a' });
    expect(r.codes).toContain('metadata.selector-label');
  });
});
