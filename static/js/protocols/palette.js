// The Okabe-Ito palette: eight colours that stay distinct under the common colour-vision
// deficiencies (Okabe and Ito, "Color Universal Design", 2008). Shared by every encoding table.

export const PALETTE = {
  black: '#000000',
  orange: '#E69F00',
  sky: '#56B4E9',
  green: '#009E73',
  yellow: '#F0E442',
  blue: '#0072B2',
  vermillion: '#D55E00',
  purple: '#CC79A7',
  grey: '#8C8C8C',
};

/** Colours for names no table mentions, in a fixed order (the same name always gets the same one). */
export const CYCLE = [PALETTE.blue, PALETTE.orange, PALETTE.green, PALETTE.purple, PALETTE.vermillion,
  PALETTE.sky, PALETTE.black, PALETTE.yellow];

/** Colour of a violation: also always marked with a warning sign and words. */
export const VIOLATION = '#C00000';
/** Colour of a crashed node. */
export const CRASHED = '#9A9A9A';

/** Return black or white, whichever reads better on `colour` (#rrggbb). */
export function inkFor(colour) {
  const l = luminance(colour);
  return (l + 0.05) / 0.05 >= 1.05 / (l + 0.05) ? '#000000' : '#FFFFFF';
}

function luminance(colour) {
  const hex = colour.replace('#', '');
  const [r, g, b] = [0, 2, 4].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
