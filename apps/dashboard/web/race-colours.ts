/**
 * Each contestant's colour, by its `colour` index: 0 is the primary contestant's (the
 * fitted line's red), 1 to 7 the others', chosen apart from the primary's smoothed loss
 * (amber) and from each other on the page's dark background.
 */
export const CONTESTANT_COLOURS = [
  '#ff5c7a',
  '#4cc9f0',
  '#3ddc97',
  '#b388ff',
  '#f78c6b',
  '#f15bb5',
  '#90be6d',
  '#e9ecef',
] as const;
